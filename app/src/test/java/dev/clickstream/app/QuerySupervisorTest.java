package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The supervisor's stop line: what a restart on a stopped query's checkpoint replays. */
class QuerySupervisorTest {
  @Test
  void theStopLineSaysWhatARestartReplays() {
    assertThat(QuerySupervisor.replayNote(false, OptionalLong.of(41)))
        .isEqualTo("a restart resumes after micro-batch 41 (an unfinished micro-batch is replayed)");
    assertThat(QuerySupervisor.replayNote(true, OptionalLong.of(7))).isEqualTo("a restart resumes after micro-batch 7 "
        + "and writes the records of the unfinished real-time batch again (at least once)");
    assertThat(QuerySupervisor.replayNote(false, OptionalLong.empty())).startsWith("a restart starts from STARTING_OFFSETS");
  }

  /** SPARK-55271 as a termination event carries it (text with the stack trace) is told from other failures. */
  @Test
  void theKafkaMetricsBugIsRecognisedInATerminationEventsText() {
    NullPointerException bug = new NullPointerException("Cannot invoke \"scala.collection.IterableOps.map(scala.Function1)\"");
    bug.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("org.apache.spark.sql.kafka010.KafkaMicroBatchStream$", "metrics", "KafkaMicroBatchStream.scala", 520),
        new StackTraceElement("org.apache.spark.sql.execution.streaming.runtime.ProgressContext", "extractSourceProgress", "x", 1)});
    java.io.StringWriter text = new java.io.StringWriter();
    new RuntimeException("Query user-sessions terminated with exception", bug).printStackTrace(new java.io.PrintWriter(text));
    assertThat(QuerySupervisor.isKafkaMetricsBug(bug)).isTrue();
    assertThat(QuerySupervisor.isKafkaMetricsBug(text.toString())).isTrue();
    assertThat(QuerySupervisor.isKafkaMetricsBug(text.toString().replace("metrics", "latestOffset"))).isFalse();
    assertThat(QuerySupervisor.isKafkaMetricsBug("java.sql.SQLException: postgres unreachable")).isFalse();
  }
}
