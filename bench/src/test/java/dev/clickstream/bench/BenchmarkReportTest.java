package dev.clickstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.config.IngestMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's verdicts from measured figures, without running anything. */
class BenchmarkReportTest {
  private static LatencyBenchmark.Result run(int rate, long postgresP99, boolean lagGrowing) {
    return run(rate, IngestMode.MICRO_BATCH, 3_000, postgresP99, lagGrowing);
  }

  private static Map<String, Long> parts(int rate) {
    Map<String, Long> parts = new java.util.LinkedHashMap<>();
    parts.put("queryPlanning", 40L);
    parts.put("addBatch", rate / 10L);
    parts.put("stateCommit", 12L);
    return parts;
  }

  private static LatencyBenchmark.Result run(int rate, IngestMode mode, long enrichedP99, long postgresP99, boolean lagGrowing) {
    Percentiles enriched = new Percentiles(10, enrichedP99 / 3, enrichedP99 / 2, enrichedP99, enrichedP99 + 1);
    Percentiles postgres = new Percentiles(10, 1_000, 2_000, postgresP99, postgresP99);
    Percentiles lake = new Percentiles(10, 40_000, 60_000, 70_000, 75_000);
    return new LatencyBenchmark.Result(rate, mode, List.of(dev.clickstream.contract.Query.values()), rate * 150L, rate, enriched, 0, postgres, 0, 1L << 30, 1L << 29, Map.of(),
        Map.of(), Map.of("analytics", parts(rate)), lake, Map.of("analytics", new LatencyBenchmark.Lag(100, lagGrowing ? 90_000 : 120, lagGrowing)), 1.5);
  }

  @Test
  void theHighestSustainedRateIsTheLastStepBeforeTheFirstThatFalls() {
    var report = new BenchmarkReport(1, 1, Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ZERO,
        Map.of(BenchmarkReport.TOGETHER, 40_000.0), List.of(run(20_000, 9_000, false), run(5_000, 8_000, false),
            run(10_000, 9_500, false), run(15_000, 9_000, true),
            run(5_000, IngestMode.REAL_TIME, 90, 8_000, false), run(20_000, IngestMode.REAL_TIME, 300, 25_000, false)));
    assertThat(report.highestSustainedRate(IngestMode.MICRO_BATCH)).as("15,000 lags behind, so 20,000 does not count")
        .isEqualTo(10_000);
    assertThat(report.highestSustainedRate(IngestMode.REAL_TIME)).as("5,000 within 10 s, 20,000 not").isEqualTo(5_000);
    Map<String, BenchmarkReport.Target> targets = new java.util.HashMap<>();
    report.targets().forEach(t -> targets.put(t.target(), t));
    assertThat(targets.get("5,000 events/s, real-time: enriched p99 <= 250 ms").met()).isTrue();
    assertThat(targets.get("5,000 events/s, real-time: Postgres p99 <= 6,000 ms").met()).as("8,000 ms").isFalse();
    assertThat(targets.get("5,000 events/s, real-time: Kafka lag not growing").met()).isTrue();
    assertThat(targets.keySet()).as("the 5,000 events/s targets are the real-time run's")
        .noneMatch(t -> t.startsWith("5,000 events/s, micro-batch: enriched"));
    assertThat(targets.get("highest sustained rate, micro-batch ingest (Postgres p99 <= 10 s, lag not growing) >= 10,000 events/s"))
        .extracting(BenchmarkReport.Target::measured, BenchmarkReport.Target::met).containsExactly("10,000 events/s", true);
    assertThat(targets.get("highest sustained rate, real-time ingest (Postgres p99 <= 10 s, lag not growing) >= 10,000 events/s"))
        .extracting(BenchmarkReport.Target::measured, BenchmarkReport.Target::met).containsExactly("5,000 events/s", false);
    double cores = Runtime.getRuntime().availableProcessors();
    assertThat(targets.get("all queries together <= 60 core-µs per event").met()).isEqualTo(cores * 1e6 / 40_000 <= 60);
    assertThat(report.markdown()).contains("| 20,000 | micro-batch | 20,000 | 1.50 | ").contains("analytics 100 -> 120").contains("(**growing**)")
        .contains("| 20,000 | micro-batch | analytics | queryPlanning 40, addBatch 2000, stateCommit 12 |");
  }
}
