package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.analytics.SessionTracker;
import dev.clickstream.app.analytics.SessionTracker.Event;
import dev.clickstream.app.analytics.SessionTracker.Kind;
import dev.clickstream.app.analytics.SessionTracker.Session;
import dev.clickstream.app.analytics.SessionTracker.Status;
import dev.clickstream.app.analytics.SessionTracker.Update;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The session rules without Spark. Times are in seconds from 0 for readability. */
class SessionTrackerTest {
  private static final long MIN = 60_000;
  private static final long TIMEOUT = 15 * MIN;
  private static final long UNSET = Long.MIN_VALUE;
  private final SessionTracker tracker = new SessionTracker(TIMEOUT);
  private int ids;

  private Event at(long ms, Kind kind) {
    return new Event(String.format("e%04d", ids++), ms, kind);
  }

  private static Session only(Update u) {
    assertThat(u.sessions()).hasSize(1);
    return u.sessions().get(0);
  }

  @Test
  void startViewsAndEndMakeOneEndedSession() {
    Update u = tracker.apply("u", null, List.of(at(0, Kind.SESSION_START), at(10_000, Kind.PAGE_VIEW),
        at(20_000, Kind.CLICK), at(30_000, Kind.SESSION_END)), UNSET);
    assertThat(only(u)).isEqualTo(new Session("u", 0, 30_000L, 30_000, 4, 1, Status.ENDED));
    assertThat(only(u).durationSeconds()).isEqualTo(30.0);
  }

  @Test
  void anOpenSessionIsActiveWithoutEnd() {
    Update u = tracker.apply("u", null, List.of(at(0, Kind.SESSION_START), at(5_000, Kind.PAGE_VIEW)), UNSET);
    assertThat(only(u)).isEqualTo(new Session("u", 0, null, 5_000, 2, 1, Status.ACTIVE));
    assertThat(u.state()).isNotNull();
    assertThat(u.nextTimeoutMs()).hasValue(5_000 + TIMEOUT);
  }

  @Test
  void aGapOfExactlyTheTimeoutKeepsTheSessionButOneMillisecondMoreDoesNot() {
    Update exact = tracker.apply("u", null, List.of(at(0, Kind.PAGE_VIEW), at(TIMEOUT, Kind.PAGE_VIEW)), UNSET);
    assertThat(only(exact).eventCount()).isEqualTo(2);
    assertThat(only(exact).status()).isEqualTo(Status.ACTIVE);

    Update over = tracker.apply("u", null, List.of(at(0, Kind.PAGE_VIEW), at(TIMEOUT + 1, Kind.PAGE_VIEW)), UNSET);
    assertThat(over.sessions()).containsExactly(
        new Session("u", 0, 0L, 0, 1, 1, Status.TIMED_OUT),
        new Session("u", TIMEOUT + 1, null, TIMEOUT + 1, 1, 1, Status.ACTIVE));
  }

  @Test
  void theWatermarkPassingLastEventPlusTimeoutTimesTheSessionOutAndClearsState() {
    Update open = tracker.apply("u", null, List.of(at(0, Kind.SESSION_START), at(MIN, Kind.PAGE_VIEW)), UNSET);
    Update atBoundary = tracker.apply("u", open.state(), List.of(), MIN + TIMEOUT);
    assertThat(only(atBoundary).status()).isEqualTo(Status.ACTIVE);
    Update timedOut = tracker.apply("u", atBoundary.state(), List.of(), MIN + TIMEOUT + 1);
    assertThat(only(timedOut)).isEqualTo(new Session("u", 0, MIN, MIN, 2, 1, Status.TIMED_OUT));
    assertThat(timedOut.state()).isNull();
    assertThat(timedOut.nextTimeoutMs()).isEmpty();
  }

  @Test
  void anEndWithoutStartOpensAtTheFirstEvent() {
    Update u = tracker.apply("u", null, List.of(at(3_000, Kind.PAGE_VIEW), at(9_000, Kind.SESSION_END)), UNSET);
    assertThat(only(u)).isEqualTo(new Session("u", 3_000, 9_000L, 9_000, 2, 1, Status.ENDED));
  }

  @Test
  void aSecondStartEndsTheOpenSessionAtItsLastEvent() {
    Update u = tracker.apply("u", null, List.of(at(0, Kind.SESSION_START), at(4_000, Kind.CLICK),
        at(8_000, Kind.SESSION_START), at(9_000, Kind.PAGE_VIEW)), UNSET);
    assertThat(u.sessions()).containsExactly(
        new Session("u", 0, 4_000L, 4_000, 2, 0, Status.ENDED),
        new Session("u", 8_000, null, 9_000, 2, 1, Status.ACTIVE));
  }

  @Test
  void anEventAfterAnEndOpensANewSession() {
    Update u = tracker.apply("u", null, List.of(at(0, Kind.SESSION_START), at(1_000, Kind.SESSION_END),
        at(2_000, Kind.CLICK)), UNSET);
    assertThat(u.sessions()).extracting(Session::startMs, Session::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, Status.ENDED), org.assertj.core.groups.Tuple.tuple(2_000L, Status.ACTIVE));
  }

  @Test
  void outOfOrderEventsInsideTheWatermarkGiveTheSortedResult() {
    List<Event> sorted = List.of(at(0, Kind.SESSION_START), at(10_000, Kind.PAGE_VIEW), at(20_000, Kind.PAGE_VIEW),
        at(30_000, Kind.SESSION_END), at(40_000, Kind.PAGE_VIEW));
    Update inOrder = tracker.apply("u", null, sorted, UNSET);

    // the same events in three micro-batches, in reverse order, the watermark trailing behind them
    Update b1 = tracker.apply("u", null, List.of(sorted.get(4), sorted.get(3)), UNSET);
    Update b2 = tracker.apply("u", b1.state(), List.of(sorted.get(2), sorted.get(1)), 0 + 1);
    Update b3 = tracker.apply("u", b2.state(), List.of(sorted.get(0)), 0);
    assertThat(b3.sessions()).isEqualTo(inOrder.sessions());
    // the first batch reported a session starting at 30 s; the reordered events moved that start
    List<Long> superseded = new ArrayList<>(b2.supersededStarts());
    superseded.addAll(b3.supersededStarts());
    assertThat(superseded).contains(30_000L);
  }

  @Test
  void eventsOlderThanTheWatermarkAreNotApplied() {
    Update open = tracker.apply("u", null, List.of(at(10 * MIN, Kind.SESSION_START), at(11 * MIN, Kind.PAGE_VIEW)), UNSET);
    Update late = tracker.apply("u", open.state(), List.of(at(2 * MIN, Kind.PAGE_VIEW), at(9 * MIN, Kind.CLICK)), 9 * MIN);
    // the 2-minute event is dropped; the 9-minute click is on time and opens a session that the start ends
    assertThat(late.sessions()).containsExactly(
        new Session("u", 9 * MIN, 9 * MIN, 9 * MIN, 1, 0, Status.ENDED),
        new Session("u", 10 * MIN, null, 11 * MIN, 2, 1, Status.ACTIVE));
    assertThat(late.supersededStarts()).isEmpty();
  }

  @Test
  void finalSessionsLeaveTheStateSoStateIsProportionalToOpenSessions() {
    Update u = tracker.apply("u", null, List.of(at(0, Kind.SESSION_START), at(MIN, Kind.SESSION_END),
        at(2 * MIN, Kind.SESSION_START)), UNSET);
    assertThat(u.state().pending()).hasSize(3);
    Update later = tracker.apply("u", u.state(), List.of(at(3 * MIN, Kind.PAGE_VIEW)), MIN + 1);
    assertThat(later.state().pending()).extracting(Event::timeMs).containsExactly(2 * MIN, 3 * MIN);
    assertThat(later.sessions()).extracting(Session::status).containsExactly(Status.ENDED, Status.ACTIVE);
    Update next = tracker.apply("u", later.state(), List.of(), 2 * MIN);
    assertThat(next.sessions()).extracting(Session::status).containsExactly(Status.ACTIVE);
  }
}
