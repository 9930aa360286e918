package dev.clickstream.app.analytics;

import java.time.Duration;
import java.time.Instant;

/**
 * What a recompute of {@code [from, to)} may rewrite: the results that lie wholly inside the range and that the live
 * queries have closed, i.e. that no event the live run still accepts can change.
 *
 * <ul>
 *   <li>Windows: start &ge; from and end &le; {@code windowsTo} = min(to, the analytics query's watermark); the
 *       events they need have event times in [from, windowsTo).</li>
 *   <li>Sessions: start &ge; from and end &lt; {@code sessionsTo} = min(to, the user-sessions watermark - the
 *       session timeout), ended or timed out; whether a session starts at its first event or continues an earlier
 *       one, and whether it ends, depends on the events up to one timeout before and after it, so the events they
 *       need lie in [from - timeout, sessionsTo + timeout).</li>
 * </ul>
 *
 * @param from the range's start, inclusive
 * @param to the range's end as asked, exclusive
 * @param windowsTo where the closed windows end (&le; to)
 * @param sessionsTo where the closed sessions end (&le; to)
 * @param timeout SESSION_TIMEOUT
 */
public record ClosedRange(Instant from, Instant to, Instant windowsTo, Instant sessionsTo, Duration timeout) {
  /**
   * @param from the range's start, inclusive
   * @param to the range's end, exclusive, after {@code from}
   * @param analyticsWatermark the analytics query's watermark
   * @param sessionsWatermark the user-sessions query's watermark
   * @param timeout SESSION_TIMEOUT
   * @return the closed part of the range
   * @throws IllegalArgumentException when {@code to} is not after {@code from}
   */
  public static ClosedRange of(Instant from, Instant to, Instant analyticsWatermark, Instant sessionsWatermark,
      Duration timeout) {
    if (!to.isAfter(from)) {
      throw new IllegalArgumentException("the range's end " + to + " is not after its start " + from);
    }
    return new ClosedRange(from, to, min(to, analyticsWatermark), min(to, sessionsWatermark.minus(timeout)), timeout);
  }

  /** @return whether any window lies in the closed range */
  public boolean hasWindows() {
    return windowsTo.isAfter(from);
  }

  /** @return whether any session can lie in the closed range */
  public boolean hasSessions() {
    return sessionsTo.isAfter(from);
  }

  /** @return the first event time the sessions need */
  public Instant sessionEventsFrom() {
    return from.minus(timeout);
  }

  /** @return the end (exclusive) of the event times the sessions need */
  public Instant sessionEventsTo() {
    return sessionsTo.plus(timeout);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
