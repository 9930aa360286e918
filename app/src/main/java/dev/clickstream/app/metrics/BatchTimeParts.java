package dev.clickstream.app.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Where a micro-batch's time went, from Spark's {@link StreamingQueryProgress} (Structured Streaming guide,
 * "Reading Metrics Interactively"):
 * <ul>
 *   <li>the driver's phases, wall time in ms, Spark's {@code durationMs} without its total
 *       ({@code triggerExecution}): {@code latestOffset} (asking the source for new offsets), {@code getBatch},
 *       {@code queryPlanning}, {@code walCommit} (the offset log), {@code addBatch} (the jobs: reading, the
 *       operators, the sink), {@code commitOffsets} (the commit log), in that order, then any other phase a Spark
 *       version reports, by name;</li>
 *   <li>the state operators' task time in ms, summed over the operators and their tasks (so it may exceed the
 *       wall time of {@code addBatch}, which contains it): {@code stateUpdates} ({@code allUpdatesTimeMs}),
 *       {@code stateRemovals} ({@code allRemovalsTimeMs}, eviction by the watermark), {@code stateCommit}
 *       ({@code commitTimeMs}).</li>
 * </ul>
 * Pure: no SparkSession; shared by the micro-batch log line, the metric {@code
 * clickstream_batch_part_seconds_total{query,part}} and the benchmark reports.
 */
public final class BatchTimeParts {
  /** The driver phases in the order a micro-batch runs them (Spark's MicroBatchExecution). */
  public static final List<String> PHASES =
      List.of("latestOffset", "getBatch", "queryPlanning", "walCommit", "addBatch", "commitOffsets");
  /** The state operators' parts, after the phases. */
  public static final List<String> STATE_PARTS = List.of("stateUpdates", "stateRemovals", "stateCommit");
  private static final String TOTAL = "triggerExecution";

  private BatchTimeParts() {}

  /**
   * @param p one micro-batch's progress
   * @return part -> ms, in the order of the class comment: every phase Spark reported, then the state parts when the
   *     query has state operators; empty when Spark reported no phase
   */
  public static Map<String, Long> of(StreamingQueryProgress p) {
    Map<String, Long> parts = new LinkedHashMap<>();
    Map<String, Long> reported = p.durationMs() == null ? Map.of() : p.durationMs();
    for (String phase : PHASES) {
      Long ms = reported.get(phase);
      if (ms != null) {
        parts.put(phase, ms);
      }
    }
    List<String> others = new ArrayList<>(reported.keySet());
    others.removeAll(PHASES);
    others.remove(TOTAL);
    Collections.sort(others);
    others.forEach(other -> parts.put(other, reported.get(other)));
    StateOperatorProgress[] state = p.stateOperators();
    if (state != null && state.length > 0) {
      long updates = 0;
      long removals = 0;
      long commit = 0;
      for (StateOperatorProgress op : state) {
        updates += op.allUpdatesTimeMs();
        removals += op.allRemovalsTimeMs();
        commit += op.commitTimeMs();
      }
      parts.put(STATE_PARTS.get(0), updates);
      parts.put(STATE_PARTS.get(1), removals);
      parts.put(STATE_PARTS.get(2), commit);
    }
    return parts;
  }

  /**
   * @param parts of {@link #of}
   * @return them as {@code name:ms} joined by commas, e.g. {@code latestOffset:2,queryPlanning:35,addBatch:900};
   *     {@code -} when empty
   */
  public static String format(Map<String, Long> parts) {
    if (parts.isEmpty()) {
      return "-";
    }
    return parts.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(","));
  }
}
