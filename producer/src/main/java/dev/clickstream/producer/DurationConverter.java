package dev.clickstream.producer;

import dev.clickstream.contract.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli's converter of duration flags: {@link Durations#parse}, the one reading of durations. */
public final class DurationConverter implements ITypeConverter<Duration> {
  /**
   * @param text the duration text, e.g. {@code 500ms}, {@code 2 minutes}, {@code PT5M}
   * @return the duration, &gt;= 0
   * @throws TypeConversionException when the text is not a duration, naming the accepted forms
   */
  @Override
  public Duration convert(String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
