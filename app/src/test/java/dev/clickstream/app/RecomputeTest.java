package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recompute command's flags: one line and exit 2 before anything starts (its run is in PipelineOracleTest). */
class RecomputeTest {
  private static final Map<String, String> DB = Map.of("JDBC_URL", "jdbc:postgresql://127.0.0.1:1/none", "DB_USER", "u",
      "DB_PASSWORD", "p");

  @Test
  void aMissingOrUnreadableRangeIsOneLineAndExitTwo() {
    Results.Exit missing = Results.capturingStderr(() -> Recompute.run(new String[] {"--from", "2026-11-23T12:00:00Z"}, DB));
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.stderr()).singleElement().asString().startsWith("clickstream recompute: Missing required option: '--to");
    Results.Exit unreadable = Results.capturingStderr(() -> Recompute.run(
        new String[] {"--from", "noon", "--to", "2026-11-23T13:00:00Z"}, DB));
    assertThat(unreadable.status()).isEqualTo(2);
    assertThat(unreadable.stderr()).containsExactly(
        "clickstream recompute: --from: 'noon' is not an ISO-8601 instant (e.g. 2026-11-23T12:00:00Z)");
    Results.Exit badSetting = Results.capturingStderr(() -> Recompute.run(new String[] {"--from", "2026-11-23T12:00:00Z",
        "--to", "2026-11-23T13:00:00Z", "--session-timeout", "0s"}, DB));
    assertThat(badSetting.stderr()).containsExactly("clickstream recompute: SESSION_TIMEOUT must be > 0");
  }
}
