package dev.clickstream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WindowLatencyTest {
  private static final long MINUTE = 60_000;

  @Test
  void theKthPageViewOfAWindowIsCountedByTheFirstVersionWithCountAtLeastK() {
    WindowLatency w = new WindowLatency(MINUTE);
    // three page views of /cart in the window [0, 60 s), sent at 1 s, 2 s, 7 s (given out of order)
    w.event(7_000, 50_000, "/cart");
    w.event(1_000, 10_000, "/cart");
    w.event(2_000, 59_999, "/cart");
    w.rowVersion(0, "/cart", 2, 5_500);  // first micro-batch counted two
    w.rowVersion(0, "/cart", 3, 11_000); // the next one the third
    w.rowVersion(0, "/cart", 2, 6_000);  // the same count seen again later keeps the earlier time

    WindowLatency.Result r = w.latencies(0);

    assertThat(r.latenciesMs()).containsExactlyInAnyOrder(4_500, 3_500, 4_000);
    assertThat(r.uncounted()).isZero();
  }

  @Test
  void windowsAndPagesAreSeparateRows() {
    WindowLatency w = new WindowLatency(MINUTE);
    w.event(1_000, 30_000, "/a");
    w.event(2_000, 61_000, "/a"); // next window
    w.event(3_000, 30_000, "/b");
    w.rowVersion(0, "/a", 1, 5_000);
    w.rowVersion(MINUTE, "/a", 1, 6_000);
    w.rowVersion(0, "/b", 1, 10_000);

    assertThat(w.latencies(0).latenciesMs()).containsExactlyInAnyOrder(4_000, 4_000, 7_000);
  }

  @Test
  void eventsBeforeTheWarmUpEndCountTowardsKButAreNotMeasured() {
    WindowLatency w = new WindowLatency(MINUTE);
    w.event(1_000, 1_000, "/a");
    w.event(9_000, 9_000, "/a");
    w.rowVersion(0, "/a", 1, 2_000);
    w.rowVersion(0, "/a", 2, 12_000);

    assertThat(w.latencies(5_000).latenciesMs()).containsExactly(3_000);
  }

  @Test
  void anEventNoVersionReachesIsUncounted() {
    WindowLatency w = new WindowLatency(MINUTE);
    w.event(1_000, 1_000, "/a");
    w.event(2_000, 2_000, "/a");
    w.rowVersion(0, "/a", 1, 3_000);

    WindowLatency.Result r = w.latencies(0);

    assertThat(r.latenciesMs()).containsExactly(2_000);
    assertThat(r.uncounted()).isEqualTo(1);
  }

  @Test
  void percentilesAreNearestRank() {
    long[] values = new long[100];
    for (int i = 0; i < 100; i++) {
      values[i] = 100 - i; // 1..100, reversed
    }
    Percentiles p = Percentiles.of(values);

    assertThat(p).isEqualTo(new Percentiles(100, 50, 95, 99, 100));
    assertThat(Percentiles.of(new long[] {7})).isEqualTo(new Percentiles(1, 7, 7, 7, 7));
    assertThatThrownBy(() -> Percentiles.of(new long[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WindowLatency(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
