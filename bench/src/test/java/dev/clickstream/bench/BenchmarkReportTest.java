package dev.clickstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's verdicts from measured figures, without running anything. */
class BenchmarkReportTest {
  private static LatencyBenchmark.Result run(int rate, long postgresP99, boolean lagGrowing) {
    Percentiles enriched = new Percentiles(10, 1_000, 2_000, 3_000, 4_000);
    Percentiles postgres = new Percentiles(10, 1_000, 2_000, postgresP99, postgresP99);
    Percentiles lake = new Percentiles(10, 40_000, 60_000, 70_000, 75_000);
    return new LatencyBenchmark.Result(rate, rate * 150L, rate, enriched, 0, postgres, 0, 1L << 30, 1L << 29, Map.of(),
        Map.of(), lake, Map.of("analytics", new LatencyBenchmark.Lag(100, lagGrowing ? 90_000 : 120, lagGrowing)));
  }

  @Test
  void theHighestSustainedRateIsTheLastStepBeforeTheFirstThatFalls() {
    var report = new BenchmarkReport(1, 1, Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofSeconds(5),
        Map.of(BenchmarkReport.TOGETHER, 40_000.0), List.of(run(20_000, 9_000, false), run(5_000, 8_000, false),
            run(10_000, 14_000, false), run(15_000, 9_000, true)));
    assertThat(report.highestSustainedRate()).as("15,000 lags behind, so 20,000 does not count").isEqualTo(10_000);
    Map<String, BenchmarkReport.Target> targets = new java.util.HashMap<>();
    report.targets().forEach(t -> targets.put(t.target(), t));
    assertThat(targets.get("5,000 events/s: Postgres p99 <= 12,000 ms").met()).isTrue();
    assertThat(targets.get("20,000 events/s: Postgres p99 <= 15,000 ms").met()).isTrue();
    assertThat(targets.get("20,000 events/s: Kafka lag not growing").met()).isTrue();
    assertThat(targets.get("highest sustained rate (Postgres p99 <= 15 s, lag not growing) >= 20,000 events/s"))
        .extracting(BenchmarkReport.Target::measured, BenchmarkReport.Target::met).containsExactly("10,000 events/s", false);
    double cores = Runtime.getRuntime().availableProcessors();
    assertThat(targets.get("all queries together <= 60 core-µs per event").met()).isEqualTo(cores * 1e6 / 40_000 <= 60);
    assertThat(report.markdown()).contains("analytics 100 -> 120").contains("(**growing**)");
  }
}
