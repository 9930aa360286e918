package dev.clickstream.app.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The closed part of a recompute's range, without Spark. */
class ClosedRangeTest {
  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration TIMEOUT = Duration.ofMinutes(15);

  private static Instant at(int minutes) {
    return NOON.plus(Duration.ofMinutes(minutes));
  }

  @Test
  void windowsEndAtTheRangeOrTheAnalyticsWatermarkAndSessionsATimeoutBeforeTheirs() {
    // watermarks 12:50 (analytics) and 12:40 (user-sessions): the range [12:00, 13:00) is closed up to 12:50 for
    // windows and up to 12:25 for sessions
    ClosedRange r = ClosedRange.of(at(0), at(60), at(50), at(40), TIMEOUT);
    assertThat(r.windowsTo()).isEqualTo(at(50));
    assertThat(r.sessionsTo()).isEqualTo(at(25));
    assertThat(r.sessionEventsFrom()).isEqualTo(at(-15));
    assertThat(r.sessionEventsTo()).isEqualTo(at(40));
    assertThat(r.hasWindows()).isTrue();
    assertThat(r.hasSessions()).isTrue();
    // an older range lies wholly before both watermarks: its own end bounds it
    ClosedRange old = ClosedRange.of(at(0), at(10), at(50), at(40), TIMEOUT);
    assertThat(old.windowsTo()).isEqualTo(at(10));
    assertThat(old.sessionsTo()).isEqualTo(at(10));
  }

  @Test
  void aRangeTheWatermarksHaveNotReachedHasNothingClosed() {
    ClosedRange r = ClosedRange.of(at(30), at(60), at(20), at(40), TIMEOUT);
    assertThat(r.hasWindows()).isFalse();
    assertThat(r.hasSessions()).as("12:40 - 15 min is before 12:30").isFalse();
    assertThatThrownBy(() -> ClosedRange.of(at(10), at(10), at(20), at(20), TIMEOUT))
        .hasMessage("the range's end 2026-11-23T12:10:00Z is not after its start 2026-11-23T12:10:00Z");
  }
}
