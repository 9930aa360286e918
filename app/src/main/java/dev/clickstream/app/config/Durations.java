package dev.clickstream.app.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations in the form Spark uses for intervals ({@code 10 seconds}, {@code 2 minutes}) plus short forms
 * ({@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 7d}).
 */
public final class Durations {
  private static final Pattern FORM = Pattern.compile(
      "(\\d+)\\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)");

  private Durations() {}

  /**
   * @param text e.g. {@code 2 minutes}
   * @return the duration
   * @throws IllegalArgumentException when the text is not a non-negative whole number and a unit
   */
  public static Duration parse(String text) {
    Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 10 seconds, 2 minutes, 1 hour, 7 days)");
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
