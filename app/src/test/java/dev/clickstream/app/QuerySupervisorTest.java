package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's pure decisions: when a real-time query that ends at the latest offsets has reached them, which
 * failure is SPARK-55271, and what the stop line says a restart replays.
 */
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

  @Test
  void aQueryHasReachedItsEndOffsetsOnlyWhenEveryPartitionIsAtOrPastThem() {
    java.util.Map<org.apache.kafka.common.TopicPartition, Long> endAt = java.util.Map.of(
        new org.apache.kafka.common.TopicPartition("user_activity", 0), 120L,
        new org.apache.kafka.common.TopicPartition("user_activity", 1), 98L);
    assertThat(QuerySupervisor.reached("{\"user_activity\":{\"0\":120,\"1\":98}}", endAt)).isTrue();
    assertThat(QuerySupervisor.reached("{\"user_activity\":{\"0\":130,\"1\":99}}", endAt)).isTrue();
    assertThat(QuerySupervisor.reached("{\"user_activity\":{\"0\":130,\"1\":97}}", endAt)).as("one behind").isFalse();
    assertThat(QuerySupervisor.reached("{\"user_activity\":{\"0\":130}}", endAt)).as("one not read yet").isFalse();
    assertThat(QuerySupervisor.reached("{\"other\":{\"0\":500,\"1\":500}}", endAt)).as("another topic").isFalse();
    assertThat(QuerySupervisor.reached((String) null, endAt)).as("no batch yet").isFalse();
    assertThat(QuerySupervisor.reached((org.apache.spark.sql.streaming.StreamingQueryProgress) null, endAt)).isFalse();
    assertThat(QuerySupervisor.reached("{\"user_activity\":{\"0\":0}}", java.util.Map.of())).as("nothing to reach").isTrue();
  }

  /** The failure itself (a StreamingQueryException's cause chain) is recognised by its frame, not by its message. */
  @Test
  void theKafkaMetricsBugIsRecognisedInACauseChain() {
    NullPointerException elsewhere = new NullPointerException("x");
    elsewhere.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("org.apache.spark.sql.kafka010.KafkaMicroBatchStream", "latestOffset", "x", 1)});
    assertThat(QuerySupervisor.isKafkaMetricsBug(new RuntimeException("wrapped", elsewhere))).isFalse();
    assertThat(QuerySupervisor.isKafkaMetricsBug(new IllegalStateException("metrics"))).isFalse();
    NullPointerException bug = new NullPointerException();
    bug.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("org.apache.spark.sql.kafka010.KafkaMicroBatchStream", "metrics", "x", 1)});
    assertThat(QuerySupervisor.isKafkaMetricsBug(new RuntimeException("a", new RuntimeException("b", bug)))).isTrue();
  }
}
