package dev.clickstream.app.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.config.Settings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The Kafka consumer's fetch options of each trigger (REAL_TIME_FETCH_WAIT), without a broker. */
class KafkaSourceTest {
  private static Settings.Builder settings() {
    return Settings.builder().database("jdbc:postgresql://127.0.0.1:1/none", "u", "p");
  }

  @Test
  void aRealTimeFetchWaitsForBytesOnlyWhenTheWaitIsSet() {
    assertThat(KafkaSource.fetchOptions(settings().build(), true)).as("off by default: Kafka's defaults").isEmpty();
    Settings waiting = settings().realTimeFetchWait(Duration.ofMillis(50)).build();
    assertThat(KafkaSource.fetchOptions(waiting, true))
        .containsEntry("kafka.fetch.max.wait.ms", "50")
        .containsEntry("kafka.fetch.min.bytes", String.valueOf(Settings.REAL_TIME_FETCH_BYTES))
        .hasSize(2);
    assertThat(KafkaSource.fetchOptions(waiting, false)).as("a micro-batch reads a known range: no wait").isEmpty();
  }
}
