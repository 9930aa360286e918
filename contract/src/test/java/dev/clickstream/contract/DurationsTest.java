package dev.clickstream.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsSparkIntervalsShortFormsAndIso8601() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("10 seconds")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse(" 1 Hour ")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("7 days")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("p1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Durations.toSparkInterval(Duration.ofMinutes(2))).isEqualTo("120000 milliseconds");
  }

  @Test
  void refusesTyposAndNegativeDurationsNamingTheForms() {
    for (String bad : new String[] {"2 minuts", "PT-5M", "-1s", "soon", "P"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + bad + "' is not a duration (e.g. 500ms, 10 seconds, 2 minutes, 1 hour, 7 days, PT5M)");
    }
  }
}
