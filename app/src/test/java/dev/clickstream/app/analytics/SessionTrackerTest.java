package dev.clickstream.app.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.analytics.SessionTracker.Event;
import dev.clickstream.contract.EventType;
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

  private Event at(long ms, EventType kind) {
    return new Event(String.format("e%04d", ids++), ms, kind);
  }

  private static Session only(Update u) {
    assertThat(u.sessions()).hasSize(1);
    return u.sessions().get(0);
  }

  @Test
  void startViewsAndEndMakeOneEndedSession() {
    Update u = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(10_000, EventType.PAGE_VIEW),
        at(20_000, EventType.CLICK), at(30_000, EventType.SESSION_END)), UNSET);
    assertThat(only(u)).isEqualTo(new Session("u", 0, 30_000L, 30_000, 4, 1, Status.ENDED));
    assertThat(only(u).durationSeconds()).isEqualTo(30.0);
  }

  @Test
  void anOpenSessionIsActiveWithoutEnd() {
    Update u = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(5_000, EventType.PAGE_VIEW)), UNSET);
    assertThat(only(u)).isEqualTo(new Session("u", 0, null, 5_000, 2, 1, Status.ACTIVE));
    assertThat(u.state()).isNotNull();
    assertThat(u.nextTimeoutMs()).hasValue(5_000 + TIMEOUT);
  }

  @Test
  void aGapOfExactlyTheTimeoutKeepsTheSessionButOneMillisecondMoreDoesNot() {
    Update exact = tracker.apply("u", null, List.of(at(0, EventType.PAGE_VIEW), at(TIMEOUT, EventType.PAGE_VIEW)), UNSET);
    assertThat(only(exact).eventCount()).isEqualTo(2);
    assertThat(only(exact).status()).isEqualTo(Status.ACTIVE);

    Update over = tracker.apply("u", null, List.of(at(0, EventType.PAGE_VIEW), at(TIMEOUT + 1, EventType.PAGE_VIEW)), UNSET);
    assertThat(over.sessions()).containsExactly(
        new Session("u", 0, 0L, 0, 1, 1, Status.TIMED_OUT),
        new Session("u", TIMEOUT + 1, null, TIMEOUT + 1, 1, 1, Status.ACTIVE));
  }

  @Test
  void theWatermarkPassingLastEventPlusTimeoutTimesTheSessionOutAndClearsState() {
    Update open = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(MIN, EventType.PAGE_VIEW)), UNSET);
    Update atBoundary = tracker.apply("u", open.state(), List.of(), MIN + TIMEOUT);
    assertThat(only(atBoundary).status()).isEqualTo(Status.ACTIVE);
    Update timedOut = tracker.apply("u", atBoundary.state(), List.of(), MIN + TIMEOUT + 1);
    assertThat(only(timedOut)).isEqualTo(new Session("u", 0, MIN, MIN, 2, 1, Status.TIMED_OUT));
    assertThat(timedOut.state()).isNull();
    assertThat(timedOut.nextTimeoutMs()).isEmpty();
  }

  @Test
  void anEndWithoutStartOpensAtTheFirstEvent() {
    Update u = tracker.apply("u", null, List.of(at(3_000, EventType.PAGE_VIEW), at(9_000, EventType.SESSION_END)), UNSET);
    assertThat(only(u)).isEqualTo(new Session("u", 3_000, 9_000L, 9_000, 2, 1, Status.ENDED));
  }

  @Test
  void aSecondStartEndsTheOpenSessionAtItsLastEvent() {
    Update u = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(4_000, EventType.CLICK),
        at(8_000, EventType.SESSION_START), at(9_000, EventType.PAGE_VIEW)), UNSET);
    assertThat(u.sessions()).containsExactly(
        new Session("u", 0, 4_000L, 4_000, 2, 0, Status.ENDED),
        new Session("u", 8_000, null, 9_000, 2, 1, Status.ACTIVE));
  }

  @Test
  void anEventAfterAnEndOpensANewSession() {
    Update u = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(1_000, EventType.SESSION_END),
        at(2_000, EventType.CLICK)), UNSET);
    assertThat(u.sessions()).extracting(Session::startMs, Session::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, Status.ENDED), org.assertj.core.groups.Tuple.tuple(2_000L, Status.ACTIVE));
  }

  @Test
  void outOfOrderEventsInsideTheWatermarkGiveTheSortedResult() {
    List<Event> sorted = List.of(at(0, EventType.SESSION_START), at(10_000, EventType.PAGE_VIEW), at(20_000, EventType.PAGE_VIEW),
        at(30_000, EventType.SESSION_END), at(40_000, EventType.PAGE_VIEW));
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
    Update open = tracker.apply("u", null, List.of(at(10 * MIN, EventType.SESSION_START), at(11 * MIN, EventType.PAGE_VIEW)), UNSET);
    Update late = tracker.apply("u", open.state(), List.of(at(2 * MIN, EventType.PAGE_VIEW), at(9 * MIN, EventType.CLICK)), 9 * MIN);
    // the 2-minute event is dropped; the 9-minute click is on time and opens a session that the start ends
    assertThat(late.sessions()).containsExactly(
        new Session("u", 9 * MIN, 9 * MIN, 9 * MIN, 1, 0, Status.ENDED),
        new Session("u", 10 * MIN, null, 11 * MIN, 2, 1, Status.ACTIVE));
    assertThat(late.supersededStarts()).isEmpty();
  }

  @Test
  void finalSessionsLeaveTheStateSoStateIsProportionalToOpenSessions() {
    Update u = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(MIN, EventType.SESSION_END),
        at(2 * MIN, EventType.SESSION_START)), UNSET);
    assertThat(u.state().pending()).hasSize(3);
    Update later = tracker.apply("u", u.state(), List.of(at(3 * MIN, EventType.PAGE_VIEW)), MIN + 1);
    assertThat(later.state().pending()).extracting(Event::timeMs).containsExactly(2 * MIN, 3 * MIN);
    assertThat(later.sessions()).extracting(Session::status).containsExactly(Status.ENDED, Status.ACTIVE);
    Update next = tracker.apply("u", later.state(), List.of(), 2 * MIN);
    assertThat(next.sessions()).extracting(Session::status).containsExactly(Status.ACTIVE);
  }

  @Test
  void aResentEventIsAppliedOnceWithinOneMicroBatchAndAcrossTwo() {
    Event start = at(0, EventType.SESSION_START);
    Event view = at(MIN, EventType.PAGE_VIEW);
    Update once = tracker.apply("u", null, List.of(start, view), UNSET);
    // the same page view twice in one micro-batch
    Update twiceInOne = tracker.apply("u", null, List.of(start, view, view), UNSET);
    assertThat(twiceInOne.sessions()).isEqualTo(once.sessions());
    // and again in the next micro-batch, while the session is open (the watermark is 30 s behind it)
    Update resentLater = tracker.apply("u", twiceInOne.state(), List.of(view, start), MIN - 30_000);
    assertThat(resentLater.sessions()).isEqualTo(once.sessions());
    assertThat(only(resentLater).eventCount()).isEqualTo(2);
    assertThat(only(resentLater).pageViewCount()).isEqualTo(1);
  }

  @Test
  void aSixHourSessionKeepsOnlyTheEventsOfTheLastWatermarkDelayAndGivesTheSameRow() {
    // an event every 10 s for 6 hours; micro-batches of 10 s, the watermark 2 minutes behind the newest event
    List<Event> all = new ArrayList<>();
    for (long t = 0; t < 6 * 60 * MIN; t += 10_000) {
      all.add(at(t, t == 0 ? EventType.SESSION_START : (t / 10_000) % 3 == 0 ? EventType.CLICK : EventType.PAGE_VIEW));
    }
    Session expected = only(tracker.apply("u", null, all, UNSET));
    SessionTracker.State state = null;
    Update u = null;
    int maxKept = 0;
    for (int i = 0; i < all.size(); i++) {
      long watermark = i == 0 ? UNSET : all.get(i - 1).timeMs() - 2 * MIN;
      u = tracker.apply("u", state, List.of(all.get(i)), watermark);
      state = u.state();
      maxKept = Math.max(maxKept, state.pending().size());
    }
    assertThat(only(u)).isEqualTo(expected);
    assertThat(expected.eventCount()).isEqualTo(2160);
    assertThat(state.folded().eventCount() + state.pending().size()).isEqualTo(2160);
    assertThat(maxKept).as("events kept: 2 minutes of them, and the newest").isLessThanOrEqualTo(14);
    // the watermark passes the timeout of the folded session: it times out with every event counted
    Update timedOut = tracker.apply("u", state, List.of(), all.get(all.size() - 1).timeMs() + TIMEOUT + 1);
    assertThat(only(timedOut)).isEqualTo(new Session("u", 0, expected.lastEventMs(), expected.lastEventMs(), 2160,
        expected.pageViewCount(), Status.TIMED_OUT));
    assertThat(timedOut.state()).isNull();
  }

  @Test
  void aFoldedSessionIsEndedByALaterStartAndTimedOutByALaterGap() {
    Update open = tracker.apply("u", null, List.of(at(0, EventType.SESSION_START), at(MIN, EventType.PAGE_VIEW),
        at(5 * MIN, EventType.PAGE_VIEW)), UNSET);
    Update folded = tracker.apply("u", open.state(), List.of(), 4 * MIN);
    assertThat(folded.state().folded()).isEqualTo(new SessionTracker.Folded(0, MIN, 2, 1));
    assertThat(folded.state().pending()).extracting(Event::timeMs).containsExactly(5 * MIN);
    Update restarted = tracker.apply("u", folded.state(), List.of(at(6 * MIN, EventType.SESSION_START)), 4 * MIN);
    assertThat(restarted.sessions()).containsExactly(
        new Session("u", 0, 5 * MIN, 5 * MIN, 3, 2, Status.ENDED),
        new Session("u", 6 * MIN, null, 6 * MIN, 1, 0, Status.ACTIVE));
    Update gap = tracker.apply("u", folded.state(), List.of(at(5 * MIN + TIMEOUT + 1, EventType.CLICK)), 5 * MIN);
    assertThat(gap.sessions()).containsExactly(
        new Session("u", 0, 5 * MIN, 5 * MIN, 3, 2, Status.TIMED_OUT),
        new Session("u", 5 * MIN + TIMEOUT + 1, null, 5 * MIN + TIMEOUT + 1, 1, 0, Status.ACTIVE));
  }

  @Test
  void aWholeHistoryGivesItsFinalSessionsAndTheWatermarkTimesOutTheLast() {
    Event resent = at(2 * MIN, EventType.PAGE_VIEW);
    List<Event> history = List.of(at(40 * MIN, EventType.PAGE_VIEW), at(0, EventType.SESSION_START), resent, resent,
        at(3 * MIN, EventType.SESSION_END), at(10 * MIN, EventType.PAGE_VIEW), at(11 * MIN, EventType.CLICK));
    // watermark 50 min: the 10-11 min session timed out (gap to 40 min), the one at 40 min is still open
    assertThat(tracker.finalSessions("u", history, 50 * MIN)).containsExactly(
        new Session("u", 0, 3 * MIN, 3 * MIN, 3, 1, Status.ENDED),
        new Session("u", 10 * MIN, 11 * MIN, 11 * MIN, 2, 1, Status.TIMED_OUT));
    // watermark 56 min: more than 15 min after 40 min, so that one times out too
    assertThat(tracker.finalSessions("u", history, 56 * MIN)).hasSize(3).last()
        .isEqualTo(new Session("u", 40 * MIN, 40 * MIN, 40 * MIN, 1, 1, Status.TIMED_OUT));
    assertThat(tracker.finalSessions("u", List.of(), 56 * MIN)).isEmpty();
  }
}
