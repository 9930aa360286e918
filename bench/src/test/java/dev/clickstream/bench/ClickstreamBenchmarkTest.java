package dev.clickstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** make bench's flags as picocli parses them (no run). */
class ClickstreamBenchmarkTest {
  @Test
  void theRunsOfIngestAloneAreOnByDefaultAndOffWithTheirFlag() {
    ClickstreamBenchmark byDefault = new ClickstreamBenchmark();
    new CommandLine(byDefault).parseArgs("--rates", "50,5000");
    assertThat(byDefault.noRealTimeAlone).isFalse();
    assertThat(byDefault.rates).containsExactly(50, 5_000);

    ClickstreamBenchmark without = new ClickstreamBenchmark();
    new CommandLine(without).parseArgs("--no-real-time-alone");
    assertThat(without.noRealTimeAlone).isTrue();
  }
}
