package dev.clickstream.app.analytics;

import dev.clickstream.contract.EventType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Sessionization rules of architecture §4, as plain Java: one user's state and new events in, session rows out.
 * No Spark here; the streaming wiring keeps {@link State} per user.
 *
 * <p>Rules, applied to the user's events sorted by event time (ties: session_start, then page views, clicks,
 * add_to_cart and purchase, then session_end, then event id):
 * <ul>
 *   <li>A session opens at {@code session_start}, or at the user's first event when no start was seen.</li>
 *   <li>It ends at {@code session_end} ({@link Status#ENDED}, end = that event's time), or when the next event
 *       comes more than the timeout after the previous one, or the watermark passes the last event time plus
 *       the timeout, with no event in between ({@link Status#TIMED_OUT}, end = the last event's time). A gap
 *       of exactly the timeout keeps the session open.</li>
 *   <li>An event after an ended or timed-out session opens a new one; a {@code session_start} inside an open
 *       session ends it ({@link Status#ENDED}, end = its last event) and opens a new one.</li>
 *   <li>event_count and page_view_count count the session's events; duration = end - start (for an open
 *       session: last event - start).</li>
 * </ul>
 * Events may arrive in any order as long as they are not older than the watermark: the state keeps the
 * events of every session that a future on-time event could still change, and sessions are recomputed from
 * them, so the result is the one of the sorted events. Events older than the watermark are not applied.
 * A session is final once the event (or timeout) that closed it lies before the watermark; its events then
 * leave the state, so state stays proportional to open sessions.
 *
 * <p>Resends: an event whose event_id is already in the state, or twice in one call, is applied once (an
 * at-least-once producer's retry, a replayed file; architecture §4 counts each event_id once within the watermark).
 * A resend of an event that has left the state is older than the watermark (a resend keeps its event_time) and
 * is not applied either.
 *
 * <p>Long sessions: the events of the open session that are older than the watermark are folded into a
 * {@link Folded} summary (start, last event time, counts). Every event still to be applied is at or after the
 * watermark, so it sorts after them and can neither move the session's start nor land between them: the summary
 * gives the same sessions as the events did. State per open session is then bounded by the events of the last
 * watermark delay (a user active every 10 s holds ~12 events at a 2-minute watermark, not every event of a
 * 6-hour session).
 */
public final class SessionTracker implements Serializable {
  /** Session status as written to {@code user_sessions.status}. */
  public enum Status {
    ACTIVE("active"), ENDED("ended"), TIMED_OUT("timed_out");

    private final String wireName;

    Status(String wireName) {
      this.wireName = wireName;
    }

    /** @return {@code active}, {@code ended} or {@code timed_out} */
    public String wireName() {
      return wireName;
    }
  }

  /**
   * One event of the user.
   *
   * @param eventId event id (tie-breaker)
   * @param timeMs event time, epoch ms
   * @param type its event_type
   */
  public record Event(String eventId, long timeMs, EventType type) implements Serializable {}

  /**
   * One row of {@code user_sessions}.
   *
   * @param userId user
   * @param startMs session_start, epoch ms
   * @param endMs session_end, epoch ms; null while active
   * @param lastEventMs time of the session's last event
   * @param eventCount events in the session
   * @param pageViewCount page views in the session
   * @param status active, ended or timed out
   */
  public record Session(String userId, long startMs, Long endMs, long lastEventMs, long eventCount, long pageViewCount,
      Status status) implements Serializable {
    /** @return (end or last event) - start, in seconds */
    public double durationSeconds() {
      return ((endMs != null ? endMs : lastEventMs) - startMs) / 1000.0;
    }
  }

  /**
   * The part of the open session that lies before the watermark, folded: its events can no longer change.
   *
   * @param startMs the session's start, epoch ms
   * @param lastEventMs the time of its last folded event, epoch ms
   * @param eventCount folded events
   * @param pageViewCount folded page views
   */
  public record Folded(long startMs, long lastEventMs, long eventCount, long pageViewCount) implements Serializable {}

  /**
   * What the tracker keeps per user between micro-batches.
   *
   * @param folded the first non-final session's events before the watermark, folded; null when none
   * @param pending events not folded of the sessions that are not final yet, sorted, none before the watermark
   *     unless it is unset
   * @param emittedStarts starts of the non-final sessions last reported, to report superseded rows
   */
  public record State(Folded folded, List<Event> pending, List<Long> emittedStarts) implements Serializable {}

  /**
   * The result of one call.
   *
   * @param sessions sessions to upsert: those that became final now and every non-final one
   * @param supersededStarts starts of rows reported before that no longer exist (an earlier event moved the
   *     session's start): delete them
   * @param state the state to keep, or null when the user has no pending session (remove the state)
   * @param nextTimeoutMs call again, even without events, once the watermark is past this (epoch ms): the
   *     earliest pending session becomes final (or times out) then; empty when nothing is pending
   */
  public record Update(List<Session> sessions, List<Long> supersededStarts, State state, OptionalLong nextTimeoutMs) {}

  /** Events at one time: a session's start first, its end last, the others between (then by event id). */
  private static final List<EventType> AT_ONE_TIME = List.of(EventType.SESSION_START, EventType.PAGE_VIEW,
      EventType.CLICK, EventType.ADD_TO_CART, EventType.PURCHASE, EventType.SESSION_END);
  private static final Comparator<Event> ORDER = Comparator.comparingLong(Event::timeMs)
      .thenComparingInt(e -> AT_ONE_TIME.indexOf(e.type())).thenComparing(Event::eventId);

  private final long timeoutMs;

  /** @param timeoutMs inactivity gap in ms (SESSION_TIMEOUT, 15 minutes by default), &gt; 0 */
  public SessionTracker(long timeoutMs) {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("session timeout must be > 0 ms");
    }
    this.timeoutMs = timeoutMs;
  }

  private static final class Building {
    final long start;
    long last;
    long events;
    long pageViews;
    /** index of its first pending event; -1 when it continues the folded summary */
    final int firstIndex;

    Building(long start, int firstIndex) {
      this.start = start;
      this.last = start;
      this.firstIndex = firstIndex;
    }

    static Building of(Folded f) {
      Building b = new Building(f.startMs(), -1);
      b.last = f.lastEventMs();
      b.events = f.eventCount();
      b.pageViews = f.pageViewCount();
      return b;
    }

    void add(Event e) {
      last = e.timeMs();
      events++;
      if (e.type() == EventType.PAGE_VIEW) {
        pageViews++;
      }
    }
  }

  private record Closed(Session session, long closedAtMs, int firstIndex) {}

  /**
   * Applies new events and the watermark to one user's state.
   *
   * @param userId the user
   * @param state the previous state, or null for none
   * @param newEvents events of this micro-batch, any order
   * @param watermarkMs the current watermark, epoch ms (Long.MIN_VALUE or 0 or less when unset); events with an
   *     event time before it are not applied
   * @return sessions to write, rows to delete, the new state and the next timeout
   */
  public Update apply(String userId, State state, Collection<Event> newEvents, long watermarkMs) {
    List<Event> events = new ArrayList<>(state == null ? List.of() : state.pending());
    Set<String> ids = new HashSet<>();
    events.forEach(e -> ids.add(e.eventId()));
    for (Event e : newEvents) {
      if ((watermarkMs <= 0 || e.timeMs() >= watermarkMs) && ids.add(e.eventId())) {
        events.add(e);
      }
    }
    events.sort(ORDER);

    List<Closed> closed = new ArrayList<>();
    Building current = state == null || state.folded() == null ? null : Building.of(state.folded());
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (current != null && e.timeMs() - current.last > timeoutMs) {
        closed.add(close(userId, current, current.last, Status.TIMED_OUT, e.timeMs()));
        current = null;
      }
      if (current != null && e.type() == EventType.SESSION_START) {
        closed.add(close(userId, current, current.last, Status.ENDED, e.timeMs()));
        current = null;
      }
      if (current == null) {
        current = new Building(e.timeMs(), i);
      }
      current.add(e);
      if (e.type() == EventType.SESSION_END) {
        closed.add(close(userId, current, e.timeMs(), Status.ENDED, e.timeMs()));
        current = null;
      }
    }
    if (current != null && watermarkMs > current.last + timeoutMs) {
      closed.add(close(userId, current, current.last, Status.TIMED_OUT, current.last + timeoutMs));
      current = null;
    }

    List<Session> out = new ArrayList<>();
    int firstPending = events.size();
    long nextTimeout = Long.MAX_VALUE;
    Set<Long> reported = new HashSet<>();
    for (Closed c : closed) {
      out.add(c.session());
      if (c.closedAtMs() >= watermarkMs || watermarkMs <= 0) {
        firstPending = Math.min(firstPending, c.firstIndex());
        nextTimeout = Math.min(nextTimeout, c.closedAtMs());
        reported.add(c.session().startMs());
      }
    }
    if (current != null) {
      out.add(new Session(userId, current.start, null, current.last, current.events, current.pageViews, Status.ACTIVE));
      firstPending = Math.min(firstPending, current.firstIndex);
      nextTimeout = Math.min(nextTimeout, current.last + timeoutMs);
      reported.add(current.start);
    }
    List<Long> superseded = new ArrayList<>();
    if (state != null) {
      for (Long start : state.emittedStarts()) {
        if (out.stream().noneMatch(s -> s.startMs() == start)) {
          superseded.add(start);
        }
      }
    }
    State next = null;
    if (firstPending < events.size() || firstPending == -1) {
      // the first non-final session's events before the watermark (only it can have any) are folded
      Folded folded = firstPending == -1 ? state.folded() : null;
      int from = Math.max(firstPending, 0);
      while (watermarkMs > 0 && from < events.size() && events.get(from).timeMs() < watermarkMs) {
        Event e = events.get(from++);
        folded = folded == null ? new Folded(e.timeMs(), e.timeMs(), 1, e.type() == EventType.PAGE_VIEW ? 1 : 0)
            : new Folded(folded.startMs(), e.timeMs(), folded.eventCount() + 1,
                folded.pageViewCount() + (e.type() == EventType.PAGE_VIEW ? 1 : 0));
      }
      next = new State(folded, List.copyOf(events.subList(from, events.size())), reported.stream().sorted().toList());
    }
    return new Update(out, superseded, next, next == null ? OptionalLong.empty() : OptionalLong.of(nextTimeout));
  }

  /**
   * The final sessions of a user's whole history at once (a batch recompute): every event applied, then the
   * watermark, which times out the last session when it lies more than the timeout after its last event.
   *
   * @param userId the user
   * @param events all of the user's events, any order (repeated event ids count once)
   * @param watermarkMs the watermark to close sessions with, epoch ms
   * @return the sessions that are ended or timed out, in start order; the session still open at the watermark is
   *     left out
   */
  public List<Session> finalSessions(String userId, Collection<Event> events, long watermarkMs) {
    Update applied = apply(userId, null, events, 0); // no watermark: nothing is late, every session reported
    if (applied.state() == null) {
      return applied.sessions().stream().filter(s -> s.status() != Status.ACTIVE).toList();
    }
    // the pending state holds every event again (all sessions were reported); the watermark closes the tail
    return apply(userId, applied.state(), List.of(), watermarkMs).sessions().stream()
        .filter(s -> s.status() != Status.ACTIVE).toList();
  }

  private static Closed close(String userId, Building b, long end, Status status, long closedAt) {
    return new Closed(new Session(userId, b.start, end, b.last, b.events, b.pageViews, status), closedAt, b.firstIndex);
  }
}
