package dev.clickstream.producer;

import java.util.function.LongSupplier;

/**
 * Waits before each record is sent: at a fixed rate ({@link #byRate}, generated traffic) or by the records' own
 * event times ({@link #byEventTime}, replayed files).
 */
@FunctionalInterface
public interface RecordPacer {
  /**
   * Blocks until {@code next} is due.
   *
   * @param next the record about to be sent
   * @throws InterruptedException when interrupted while waiting
   */
  void await(ProducedRecord next) throws InterruptedException;

  /**
   * @param eventsPerSecond events/s; 0 = unpaced
   * @return a pacer on {@link RateLimiter#system}
   */
  static RecordPacer byRate(double eventsPerSecond) {
    RateLimiter limiter = RateLimiter.system(eventsPerSecond);
    return record -> limiter.acquire();
  }

  /**
   * Record i is due at start + (t_i - t_0) / speedup, t being event time: the recorded pace, sped up.
   *
   * @param speedup how many times faster than recorded; 0 = unpaced
   * @param nanoClock monotonic clock in ns
   * @return the pacer
   */
  static RecordPacer byEventTime(double speedup, LongSupplier nanoClock) {
    if (speedup == 0) {
      return record -> { };
    }
    long[] origin = {Long.MIN_VALUE, 0};
    return record -> {
      long now = nanoClock.getAsLong();
      long eventMs = record.event().eventTime().toEpochMilli();
      if (origin[0] == Long.MIN_VALUE) {
        origin[0] = now;
        origin[1] = eventMs;
      }
      long due = origin[0] + (long) ((eventMs - origin[1]) * 1e6 / speedup);
      if (due > now) {
        Thread.sleep((due - now) / 1_000_000, (int) ((due - now) % 1_000_000));
      }
    };
  }
}
