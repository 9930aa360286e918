package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The application's entry point, without Spark: what a bad setting does to it. */
class ClickstreamPipelineTest {
  @Test
  void mainExitsTwoWithOneLineForABadSetting() {
    Map<String, String> env = Map.of("JDBC_URL", "jdbc:postgresql://db:5432/clickstream", "DB_USER", "clickstream",
        "DB_PASSWORD", "s3cret", "WATERMARK_DELAY", "2 minuts");
    Results.Exit exit = Results.capturingStderr(() -> ClickstreamPipeline.run(new String[0], env));
    assertThat(exit.status()).isEqualTo(2);
    assertThat(exit.stderr()).containsExactly(
        "clickstream: WATERMARK_DELAY: '2 minuts' is not a duration (e.g. 500ms, 10 seconds, 2 minutes, 1 hour, 7 days, PT5M)");
  }
}
