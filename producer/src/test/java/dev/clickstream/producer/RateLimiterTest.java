package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private long now;
  private final List<Long> sleeps = new ArrayList<>();

  private RateLimiter limiter(double rate) {
    return new RateLimiter(rate, () -> now, nanos -> {
      sleeps.add(nanos);
      now += nanos;
    });
  }

  @Test
  void spacesPermitsEvenlyAtTheRate() throws Exception {
    RateLimiter limiter = limiter(1000);
    for (int i = 0; i < 1001; i++) {
      limiter.acquire();
    }
    assertThat(now).isEqualTo(1_000_000_000L);
    assertThat(sleeps).hasSize(1000).allMatch(n -> n == 1_000_000L);
  }

  @Test
  void catchesUpAfterASlowSendInsteadOfDrifting() throws Exception {
    RateLimiter limiter = limiter(100);
    limiter.acquire();
    now += 50_000_000L; // the first send took 50 ms = 5 permits' worth
    for (int i = 0; i < 5; i++) {
      limiter.acquire();
    }
    assertThat(sleeps).isEmpty();
    limiter.acquire();
    assertThat(sleeps).containsExactly(10_000_000L);
  }

  @Test
  void zeroRateNeverWaits() throws Exception {
    RateLimiter limiter = limiter(0);
    for (int i = 0; i < 100; i++) {
      limiter.acquire();
    }
    assertThat(sleeps).isEmpty();
  }
}
