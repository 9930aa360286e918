package dev.clickstream.app.metrics;

import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.SinkProgress;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/** Spark progress reports built by hand (their constructors are public in bytecode), for listener tests. */
final class Progress {
  private Progress() {}

  static StreamingQueryListener.QueryProgressEvent event(String name, long batchId, String timestamp, long durationMs,
      Map<String, String> eventTime, StateOperatorProgress[] state, SourceProgress... sources) {
    return observed(name, batchId, timestamp, durationMs, eventTime, state, Map.of(), sources);
  }

  /** A progress report with the rows of the query's {@code Dataset.observe} calls. */
  static StreamingQueryListener.QueryProgressEvent observed(String name, long batchId, String timestamp, long durationMs,
      Map<String, String> eventTime, StateOperatorProgress[] state, Map<String, Row> observed, SourceProgress... sources) {
    return new StreamingQueryListener.QueryProgressEvent(new StreamingQueryProgress(UUID.randomUUID(), UUID.randomUUID(),
        name, timestamp, batchId, durationMs, Map.of("triggerExecution", durationMs), eventTime, state, sources,
        new SinkProgress("ForeachBatchSink"), observed));
  }

  /** A progress report with Spark's per-phase durations (ms) besides the total. */
  static StreamingQueryListener.QueryProgressEvent phased(String name, long batchId, long durationMs,
      Map<String, Long> phases, StateOperatorProgress... state) {
    Map<String, Long> durations = new java.util.HashMap<>(phases);
    durations.put("triggerExecution", durationMs);
    return new StreamingQueryListener.QueryProgressEvent(new StreamingQueryProgress(UUID.randomUUID(), UUID.randomUUID(),
        name, "2026-11-25T10:00:00.000Z", batchId, durationMs, durations, Map.of(), state, new SourceProgress[0],
        new SinkProgress("ForeachBatchSink"), Map.of()));
  }

  /** A state operator's progress with its task times, ms. */
  static StateOperatorProgress timedState(long updatesMs, long removalsMs, long commitMs) {
    return new StateOperatorProgress("stateStoreSave", 10, 1, updatesMs, 0, removalsMs, commitMs, 0, 0, 4, 4, Map.of());
  }

  static SourceProgress kafka(long rows, String endOffset) {
    return new SourceProgress("KafkaV2[Subscribe[user_activity]]", "{}", endOffset, endOffset, rows, 500.0, 2000.0, Map.of());
  }

  static StateOperatorProgress state(long rows, long memory, long dropped) {
    return new StateOperatorProgress("stateStoreSave", rows, 1, 0, 0, 0, 0, memory, dropped, 4, 4, Map.of());
  }
}
