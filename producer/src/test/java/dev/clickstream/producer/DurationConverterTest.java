package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The picocli adapter of the contract's Durations (whose forms DurationsTest covers). */
class DurationConverterTest {
  private final DurationConverter converter = new DurationConverter();

  @Test
  void convertsWhatDurationsReadsAndNamesTyposAsPicocliExpects() {
    assertThat(converter.convert("PT5M")).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> converter.convert("2 minuts")).isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'2 minuts' is not a duration");
  }
}
