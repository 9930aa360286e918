package dev.clickstream.contract;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them, the one reading of every duration setting and flag of the pipeline, the producer
 * and the tools: the form Spark uses for intervals ({@code 10 seconds}, {@code 2 minutes}), short forms
 * ({@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 7d}), or ISO-8601 ({@code PT5M}, {@code P1D};
 * {@link Duration#parse}).
 */
public final class Durations {
  private static final Pattern FORM = Pattern.compile(
      "(\\d+)\\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)");

  private Durations() {}

  /**
   * @param text e.g. {@code 2 minutes} or {@code PT2M}
   * @return the duration, &gt;= 0
   * @throws IllegalArgumentException when the text is neither a non-negative whole number and a unit nor a
   *     non-negative ISO-8601 duration
   */
  public static Duration parse(String text) {
    String t = text.trim();
    if (t.regionMatches(true, 0, "P", 0, 1)) {
      try {
        Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
        if (!d.isNegative()) {
          return d;
        }
      } catch (java.time.format.DateTimeParseException e) {
        // not ISO-8601 either: the message below
      }
    }
    Matcher m = FORM.matcher(t.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 10 seconds, 2 minutes, 1 hour, 7 days, PT5M)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2);
    if (unit.startsWith("ms") || unit.startsWith("milli")) {
      return Duration.ofMillis(n);
    }
    return switch (unit.charAt(0)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'd' -> Duration.ofDays(n);
      default -> Duration.ofHours(n);
    };
  }

  /**
   * @param duration a duration
   * @return Spark's interval text for it, e.g. {@code 120000 milliseconds} (for withWatermark, window, trigger)
   */
  public static String toSparkInterval(Duration duration) {
    return duration.toMillis() + " milliseconds";
  }
}
