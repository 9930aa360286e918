package dev.clickstream.app.analytics;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;

/**
 * The {@code active_users} windows (5 minutes, sliding by 1 minute) as unions of per-minute sketches: the
 * analytics query keeps one HLL sketch of the users of each event-time minute ({@link WindowedAnalytics}, table
 * {@code active_user_minutes}) instead of one per sliding window, so an event is one fact row, not five; a
 * window's distinct users are the union of its five minutes' sketches. A union of HLL sketches of one lgConfigK is
 * the sketch of the union of their inputs (the maximum of each register; in the sparse coupon modes the union of the
 * coupons), so the estimate is the one a sketch of the whole window would give, up to the estimator the result uses
 * (DataSketches HLL documentation, "HLL Union"; Spark's {@code hll_union_agg} does the same with {@link Union}).
 *
 * <p>Pure logic, no Spark and no database: the sink feeds it the minute sketches it read from Postgres.
 */
public final class ActiveUserWindows {
  private static final Duration MINUTE = Duration.ofMinutes(1);

  private ActiveUserWindows() {}

  /**
   * @param minutes starts of event-time minutes whose sketch changed (each a whole minute, UTC)
   * @return the starts of every active_users window holding one of them: minute - 4 min .. minute, sorted
   * @throws IllegalArgumentException for an instant that is not the start of a minute
   */
  public static NavigableSet<Instant> windowsHolding(Collection<Instant> minutes) {
    NavigableSet<Instant> starts = new TreeSet<>();
    long back = WindowedAnalytics.ACTIVE_USERS_WINDOW.toMinutes();
    for (Instant m : minutes) {
      if (m.toEpochMilli() % MINUTE.toMillis() != 0) {
        throw new IllegalArgumentException("not the start of a minute: " + m);
      }
      for (long k = 0; k < back; k++) {
        starts.add(m.minus(MINUTE.multipliedBy(k)));
      }
    }
    return starts;
  }

  /**
   * @param minuteSketches per minute start, its users' sketch: Spark's {@code hll_sketch_agg} bytes (lgConfigK
   *     {@link WindowedAnalytics#LG_CONFIG_K}); minutes without events are absent
   * @param windowStarts the windows to estimate
   * @return per window start that holds at least one sketch, its distinct users: the rounded estimate of the union of
   *     the sketches of [start, start + 5 min) (rounded as Spark's {@code hll_sketch_estimate}); windows without
   *     sketches are left out
   * @throws org.apache.datasketches.common.SketchesArgumentException when bytes are not an HLL sketch
   */
  public static SortedMap<Instant, Long> estimates(Map<Instant, byte[]> minuteSketches, Collection<Instant> windowStarts) {
    SortedMap<Instant, Long> out = new TreeMap<>();
    long length = WindowedAnalytics.ACTIVE_USERS_WINDOW.toMinutes();
    // a minute is in up to five of the windows: read its bytes once
    Map<Instant, HllSketch> sketches = new HashMap<>();
    for (Instant start : windowStarts) {
      Union union = new Union(WindowedAnalytics.LG_CONFIG_K);
      boolean any = false;
      for (long k = 0; k < length; k++) {
        Instant minute = start.plus(MINUTE.multipliedBy(k));
        if (minuteSketches.containsKey(minute)) {
          union.update(sketches.computeIfAbsent(minute, m -> HllSketch.heapify(minuteSketches.get(m))));
          any = true;
        }
      }
      if (any) {
        out.put(start, Math.round(union.getResult(TgtHllType.HLL_8).getEstimate()));
      }
    }
    return out;
  }
}
