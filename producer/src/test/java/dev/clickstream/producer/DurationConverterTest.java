package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {
  private final DurationConverter converter = new DurationConverter();

  @Test
  void readsHumanAndIsoDurations() {
    assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(converter.convert("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(converter.convert("2 minutes")).isEqualTo(Duration.ofMinutes(2));
    assertThat(converter.convert("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(converter.convert("PT5M")).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void rejectsTyposWithTheAcceptedForms() {
    assertThatThrownBy(() -> converter.convert("2 minuts")).isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'2 minuts' is not a duration");
  }
}
