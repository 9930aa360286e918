package dev.clickstream.producer;

import java.util.function.LongSupplier;

/**
 * Paces sends at a fixed rate without drift: permit {@code i} is due at {@code start + i / rate}, so a slow
 * send is caught up by the following ones instead of lowering the average rate.
 */
public final class RateLimiter {
  /** Sleeps for a number of nanoseconds; injectable so tests need not wait. */
  @FunctionalInterface
  public interface Sleeper {
    /** @param nanos nanoseconds to sleep, &gt; 0 */
    void sleepNanos(long nanos) throws InterruptedException;
  }

  private final double nanosPerPermit;
  private final LongSupplier nanoClock;
  private final Sleeper sleeper;
  private long startNanos = Long.MIN_VALUE;
  private long issued;

  /**
   * @param eventsPerSecond rate in events/s; 0 means unlimited
   * @param nanoClock monotonic clock in ns (e.g. {@code System::nanoTime})
   * @param sleeper how to wait
   * @throws IllegalArgumentException when the rate is negative
   */
  public RateLimiter(double eventsPerSecond, LongSupplier nanoClock, Sleeper sleeper) {
    if (eventsPerSecond < 0) {
      throw new IllegalArgumentException("rate must be >= 0 events/s");
    }
    this.nanosPerPermit = eventsPerSecond == 0 ? 0 : 1e9 / eventsPerSecond;
    this.nanoClock = nanoClock;
    this.sleeper = sleeper;
  }

  /** @return a limiter on the system clock that sleeps with {@link Thread#sleep(long, int)} */
  public static RateLimiter system(double eventsPerSecond) {
    return new RateLimiter(eventsPerSecond, System::nanoTime,
        nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
  }

  /**
   * Blocks until the next permit is due; returns at once for an unlimited rate.
   *
   * @throws InterruptedException when interrupted while waiting
   */
  public void acquire() throws InterruptedException {
    if (nanosPerPermit == 0) {
      return;
    }
    long now = nanoClock.getAsLong();
    if (startNanos == Long.MIN_VALUE) {
      startNanos = now;
    }
    long due = startNanos + (long) (issued * nanosPerPermit);
    issued++;
    if (due > now) {
      sleeper.sleepNanos(due - now);
    }
  }
}
