package dev.clickstream.producer;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations as people write them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2 minutes},
 * {@code 1h}, or ISO-8601 {@code PT5M}.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern HUMAN = Pattern.compile(
      "(\\d+)\\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)");

  /**
   * @param text the duration text
   * @return the duration, &gt;= 0
   * @throws TypeConversionException when the text is not a duration, naming the accepted forms
   */
  @Override
  public Duration convert(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("pt")) {
      try {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      } catch (RuntimeException e) {
        throw new TypeConversionException("'" + text + "' is not a duration");
      }
    }
    Matcher m = HUMAN.matcher(t);
    if (!m.matches()) {
      throw new TypeConversionException("'" + text + "' is not a duration (e.g. 500ms, 30s, 5m, 2 minutes, 1h)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2);
    if (unit.startsWith("ms") || unit.startsWith("milli")) {
      return Duration.ofMillis(n);
    }
    return switch (unit.charAt(0)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }
}
