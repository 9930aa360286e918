package dev.clickstream.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.clickstream.testkit.PrometheusText;
import java.util.Map;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.junit.jupiter.api.Test;

/** {@link BatchTimeParts}: where a micro-batch's time went, in the log line's order and as counters. */
class BatchTimePartsTest {
  @Test
  void phasesComeInRunOrderWithoutTheTotalThenUnknownOnesThenTheStateOperatorsSummed() {
    var event = Progress.phased("analytics", 3, 1500,
        Map.of("addBatch", 1200L, "queryPlanning", 40L, "latestOffset", 3L, "walCommit", 20L, "commitOffsets", 9L,
            "somethingNew", 1L),
        Progress.timedState(300, 20, 40), Progress.timedState(5, 1, 8));
    Map<String, Long> parts = BatchTimeParts.of(event.progress());
    assertThat(parts).containsExactly(Map.entry("latestOffset", 3L), Map.entry("queryPlanning", 40L),
        Map.entry("walCommit", 20L), Map.entry("addBatch", 1200L), Map.entry("commitOffsets", 9L),
        Map.entry("somethingNew", 1L), Map.entry("stateUpdates", 305L), Map.entry("stateRemovals", 21L),
        Map.entry("stateCommit", 48L));
    assertThat(BatchTimeParts.format(parts)).startsWith("latestOffset:3,queryPlanning:40,walCommit:20,addBatch:1200,")
        .endsWith(",stateCommit:48");
  }

  @Test
  void aStatelessQueryHasNoStatePartsAndNoPhasesFormatsAsADash() {
    assertThat(BatchTimeParts.of(Progress.phased("ingest", 0, 30, Map.of("addBatch", 25L)).progress()))
        .containsExactly(Map.entry("addBatch", 25L));
    assertThat(BatchTimeParts.format(BatchTimeParts.of(Progress.phased("ingest", 0, 30, Map.of()).progress())))
        .isEqualTo("-");
  }

  @Test
  void eachPartAddsUpAsSecondsPerQuery() {
    PipelineMetrics metrics = new PipelineMetrics();
    QueryMetricsListener listener = new QueryMetricsListener(metrics, partitions -> Map.of());
    listener.onQueryProgress(Progress.phased("analytics", 0, 1500, Map.of("addBatch", 1200L, "walCommit", 20L),
        Progress.timedState(300, 20, 40)));
    listener.onQueryProgress(Progress.phased("analytics", 1, 900, Map.of("addBatch", 800L, "walCommit", 30L),
        new StateOperatorProgress[] {Progress.timedState(100, 0, 60)}));
    PrometheusText t = PrometheusText.parse(metrics.scrape());
    assertThat(t.value("clickstream_batch_part_seconds_total", "query", "analytics", "part", "addBatch")).hasValue(2.0);
    assertThat(t.value("clickstream_batch_part_seconds_total", "query", "analytics", "part", "walCommit").getAsDouble())
        .isCloseTo(0.05, within(1e-9));
    assertThat(t.value("clickstream_batch_part_seconds_total", "query", "analytics", "part", "stateCommit")).hasValue(0.1);
    assertThat(t.value("clickstream_batch_part_seconds_total", "query", "analytics", "part", "triggerExecution")).isEmpty();
  }
}
