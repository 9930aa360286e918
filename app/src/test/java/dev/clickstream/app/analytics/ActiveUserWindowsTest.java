package dev.clickstream.app.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.Test;

/** active_users windows as unions of minute sketches, without Spark: which windows, and what they count. */
class ActiveUserWindowsTest {
  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");

  private static Instant minute(int m) {
    return NOON.plusSeconds(60L * m);
  }

  /** A minute's sketch of users {@code from..to-1}, as Spark's hll_sketch_agg serialises it (lgConfigK 14). */
  private static byte[] users(int from, int to) {
    HllSketch sketch = new HllSketch(WindowedAnalytics.LG_CONFIG_K);
    for (int u = from; u < to; u++) {
      sketch.update("user-" + u);
    }
    return sketch.toUpdatableByteArray();
  }

  @Test
  void aMinuteIsInTheFiveWindowsThatStartUpToFourMinutesBeforeIt() {
    assertThat(ActiveUserWindows.windowsHolding(List.of(minute(0))))
        .containsExactly(minute(-4), minute(-3), minute(-2), minute(-1), minute(0));
    assertThat(ActiveUserWindows.windowsHolding(List.of(minute(0), minute(2)))).hasSize(7)
        .first().isEqualTo(minute(-4));
    assertThat(ActiveUserWindows.windowsHolding(List.of())).isEmpty();
    assertThatThrownBy(() -> ActiveUserWindows.windowsHolding(List.of(NOON.plusSeconds(30))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12:00:30");
  }

  @Test
  void aWindowCountsTheUnionOfItsMinutesOnceEach() {
    Map<Instant, byte[]> minutes = new TreeMap<>();
    minutes.put(minute(0), users(0, 100)); // users 0-99
    minutes.put(minute(1), users(50, 150)); // 50 of them again, 50 new
    minutes.put(minute(5), users(1000, 1010)); // outside the windows from 12:00 and before
    var counts = ActiveUserWindows.estimates(minutes, ActiveUserWindows.windowsHolding(minutes.keySet()));
    assertThat(counts).containsEntry(minute(-4), 100L) // 11:56-12:01: minute 12:00 only
        .containsEntry(minute(-3), 150L).containsEntry(minute(0), 150L) // both minutes, 50 users in both
        .containsEntry(minute(1), 110L) // 12:01-12:06: minute 12:01 and 12:05
        .containsEntry(minute(2), 10L).containsEntry(minute(5), 10L);
    assertThat(ActiveUserWindows.estimates(minutes, List.of(minute(-10)))).as("a window without minutes: no row").isEmpty();
  }
}
