package dev.clickstream.producer;

import java.time.Duration;
import java.time.Instant;

/**
 * The shape of generated traffic.
 *
 * @param users size of the user population, at least 1
 * @param pages number of distinct pages, at least 1; popularity is Zipf-like (weight 1/rank^1.1)
 * @param seed random seed: the same profile gives the same records
 * @param start event time of the first event
 * @param eventsPerSecond density of events in event time (events per second of event time), &gt; 0
 * @param lateEvery every Nth record is late (0 = none)
 * @param lateBy how far a late record's event time lies behind the generator's clock
 * @param malformedEvery every Nth record is malformed (0 = none); takes precedence over late
 * @param abandonShare share of sessions, 0..1, that end without session_end (they time out downstream)
 * @param meanSessionEvents mean number of page views and clicks in a session, at least 1
 * @param products size of the product catalogue ({@link Catalogue}), at least 1
 * @param currency the run's currency, ISO 4217 format (three capital letters)
 */
public record TrafficProfile(int users, int pages, long seed, Instant start, double eventsPerSecond,
    int lateEvery, Duration lateBy, int malformedEvery, double abandonShare, int meanSessionEvents, int products,
    String currency) {
  /** The currencies a seed picks from when none is given ({@link #currencyFor}). */
  public static final java.util.List<String> CURRENCIES = java.util.List.of("EUR", "USD", "GBP");
  /** The default catalogue size. */
  public static final int DEFAULT_PRODUCTS = 300;

  /** @throws IllegalArgumentException naming the first out-of-range field */
  public TrafficProfile {
    require(users >= 1, "users must be >= 1");
    require(pages >= 1, "pages must be >= 1");
    require(eventsPerSecond > 0, "events per second of event time must be > 0");
    require(lateEvery >= 0, "late-every must be >= 0");
    require(!lateBy.isNegative(), "late-by must be >= 0");
    require(malformedEvery >= 0, "malformed-every must be >= 0");
    require(abandonShare >= 0 && abandonShare <= 1, "abandon-share must be within 0..1");
    require(meanSessionEvents >= 1, "mean session events must be >= 1");
    require(products >= 1, "products must be >= 1");
    require(currency != null && currency.matches(dev.clickstream.contract.EventContract.CURRENCY), "currency must be three capital letters (ISO 4217), not " + currency);
  }

  /**
   * The producer's defaults: 500 users, 50 pages, late every 50th record by 5 minutes, no malformed
   * records, 20% abandoned sessions, 8 events per session on average, 300 products, the seed's currency.
   *
   * @param seed random seed
   * @param start event time of the first event
   * @param eventsPerSecond events per second of event time
   * @return the profile
   */
  public static TrafficProfile defaults(long seed, Instant start, double eventsPerSecond) {
    return new TrafficProfile(500, 50, seed, start, eventsPerSecond, 50, Duration.ofMinutes(5), 0, 0.2, 8, DEFAULT_PRODUCTS,
        currencyFor(seed));
  }

  /**
   * @param seed a run's seed
   * @return the currency of a run with that seed and no currency given: one of {@link #CURRENCIES}
   */
  public static String currencyFor(long seed) {
    return CURRENCIES.get((int) Math.floorMod(seed, (long) CURRENCIES.size()));
  }

  /** @return a copy with other late settings */
  public TrafficProfile withLate(int every, Duration by) {
    return new TrafficProfile(users, pages, seed, start, eventsPerSecond, every, by, malformedEvery, abandonShare, meanSessionEvents, products, currency);
  }

  /** @return a copy with another malformed share */
  public TrafficProfile withMalformedEvery(int every) {
    return new TrafficProfile(users, pages, seed, start, eventsPerSecond, lateEvery, lateBy, every, abandonShare, meanSessionEvents, products, currency);
  }

  /** @return a copy with another population */
  public TrafficProfile withPopulation(int newUsers, int newPages) {
    return new TrafficProfile(newUsers, newPages, seed, start, eventsPerSecond, lateEvery, lateBy, malformedEvery, abandonShare, meanSessionEvents, products, currency);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
