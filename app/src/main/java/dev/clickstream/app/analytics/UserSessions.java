package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import dev.clickstream.contract.EventType;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.KeyValueGroupedDataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.GroupState;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;

/**
 * User sessions with an inactivity timeout over event time: {@link SessionTracker}'s rules, kept per user in
 * Spark's state store.
 *
 * <p>In: valid events with a watermark on event_time (event_id string, event_time timestamp, user_id string,
 * event_type string, ...). Out, in update mode: user_id string, session_start timestamp, session_end timestamp
 * (null while active), duration_seconds double, event_count long, page_view_count long, status string
 * ({@code active}, {@code ended}, {@code timed_out}), deleted boolean (true for a row reported earlier whose
 * start has since moved because an earlier event arrived; the sink deletes it).
 *
 * <p>Why {@code flatMapGroupsWithState} with an event-time timeout and not {@code transformWithState}: the
 * logic needs exactly one timer per user (the moment the watermark makes the earliest pending session final)
 * and one state value, which is what flatMapGroupsWithState offers; it is stable since Spark 2.2, works with
 * the RocksDB provider and changelog checkpointing, and its state can be read with the state data source.
 * transformWithState (Spark 4) adds multiple timers, list/map state and TTL that this query does not need.
 * The state value is {@link StoredState} (columns through the bean encoder) and removed when the user's
 * sessions are final, so state rows are proportional to users with a non-final session.
 */
public final class UserSessions {
  /** The lake columns this query reads. */
  public static final String[] COLUMNS = {"event_id", "event_time", "event_type", "user_id"};
  private UserSessions() {}

  /** One output row as a bean, for Spark's bean encoder. */
  public static final class SessionRow implements Serializable {
    private String userId;
    private Timestamp sessionStart;
    private Timestamp sessionEnd;
    private Double durationSeconds;
    private long eventCount;
    private long pageViewCount;
    private String status;
    private boolean deleted;

    /** Bean constructor. */
    public SessionRow() {}

    static SessionRow of(SessionTracker.Session s) {
      SessionRow r = new SessionRow();
      r.userId = s.userId();
      r.sessionStart = new Timestamp(s.startMs());
      r.sessionEnd = s.endMs() == null ? null : new Timestamp(s.endMs());
      r.durationSeconds = s.durationSeconds();
      r.eventCount = s.eventCount();
      r.pageViewCount = s.pageViewCount();
      r.status = s.status().wireName();
      return r;
    }

    static SessionRow deleted(String userId, long startMs) {
      SessionRow r = new SessionRow();
      r.userId = userId;
      r.sessionStart = new Timestamp(startMs);
      r.status = SessionTracker.Status.ACTIVE.wireName();
      r.deleted = true;
      return r;
    }

    public String getUserId() { return userId; }
    public void setUserId(String v) { userId = v; }
    public Timestamp getSessionStart() { return sessionStart; }
    public void setSessionStart(Timestamp v) { sessionStart = v; }
    public Timestamp getSessionEnd() { return sessionEnd; }
    public void setSessionEnd(Timestamp v) { sessionEnd = v; }
    public Double getDurationSeconds() { return durationSeconds; }
    public void setDurationSeconds(Double v) { durationSeconds = v; }
    public long getEventCount() { return eventCount; }
    public void setEventCount(long v) { eventCount = v; }
    public long getPageViewCount() { return pageViewCount; }
    public void setPageViewCount(long v) { pageViewCount = v; }
    public String getStatus() { return status; }
    public void setStatus(String v) { status = v; }
    public boolean isDeleted() { return deleted; }
    public void setDeleted(boolean v) { deleted = v; }
  }

  /**
   * {@link SessionTracker.State} as a bean, so that Spark's bean encoder stores it as columns:
   * struct&lt;emittedStarts: array&lt;bigint&gt;, folded: struct&lt;eventCount bigint, lastEventMs bigint,
   * pageViewCount bigint, startMs bigint&gt; (null when nothing is folded), pending: array&lt;struct&lt;eventId
   * string, kind string, timeMs bigint&gt;&gt;&gt;. Java serialization, the alternative for records, is "extremely inefficient and should
   * only be used as the last resort" (Spark's {@code Encoders.javaSerialization} doc); the bean was faster in both
   * make bench and make bench-sessions (bench/README.md, "Figures moved out of the code").
   */
  public static final class StoredState implements Serializable {
    private StoredFolded folded;
    private List<StoredEvent> pending = new ArrayList<>();
    private List<Long> emittedStarts = new ArrayList<>();

    /** Bean constructor. */
    public StoredState() {}

    static StoredState of(SessionTracker.State state) {
      StoredState s = new StoredState();
      s.folded = state.folded() == null ? null : StoredFolded.of(state.folded());
      state.pending().forEach(e -> s.pending.add(StoredEvent.of(e)));
      s.emittedStarts.addAll(state.emittedStarts());
      return s;
    }

    SessionTracker.State toState() {
      List<SessionTracker.Event> events = new ArrayList<>(pending.size());
      pending.forEach(e -> events.add(new SessionTracker.Event(e.eventId, e.timeMs, EventType.valueOf(e.kind))));
      return new SessionTracker.State(folded == null ? null : folded.toFolded(), events, new ArrayList<>(emittedStarts));
    }

    public StoredFolded getFolded() { return folded; }
    public void setFolded(StoredFolded v) { folded = v; }
    public List<StoredEvent> getPending() { return pending; }
    public void setPending(List<StoredEvent> v) { pending = v; }
    public List<Long> getEmittedStarts() { return emittedStarts; }
    public void setEmittedStarts(List<Long> v) { emittedStarts = v; }
  }

  /** {@link SessionTracker.Folded} as a bean of {@link StoredState}. */
  public static final class StoredFolded implements Serializable {
    private long startMs;
    private long lastEventMs;
    private long eventCount;
    private long pageViewCount;

    /** Bean constructor. */
    public StoredFolded() {}

    static StoredFolded of(SessionTracker.Folded f) {
      StoredFolded s = new StoredFolded();
      s.startMs = f.startMs();
      s.lastEventMs = f.lastEventMs();
      s.eventCount = f.eventCount();
      s.pageViewCount = f.pageViewCount();
      return s;
    }

    SessionTracker.Folded toFolded() {
      return new SessionTracker.Folded(startMs, lastEventMs, eventCount, pageViewCount);
    }

    public long getStartMs() { return startMs; }
    public void setStartMs(long v) { startMs = v; }
    public long getLastEventMs() { return lastEventMs; }
    public void setLastEventMs(long v) { lastEventMs = v; }
    public long getEventCount() { return eventCount; }
    public void setEventCount(long v) { eventCount = v; }
    public long getPageViewCount() { return pageViewCount; }
    public void setPageViewCount(long v) { pageViewCount = v; }
  }

  /** One pending event of {@link StoredState}. */
  public static final class StoredEvent implements Serializable {
    private String eventId;
    private long timeMs;
    /** The event's {@code EventType} name (the field keeps the name it has in checkpointed state). */
    private String kind;

    /** Bean constructor. */
    public StoredEvent() {}

    static StoredEvent of(SessionTracker.Event e) {
      StoredEvent s = new StoredEvent();
      s.eventId = e.eventId();
      s.timeMs = e.timeMs();
      s.kind = e.type().name();
      return s;
    }

    public String getEventId() { return eventId; }
    public void setEventId(String v) { eventId = v; }
    public long getTimeMs() { return timeMs; }
    public void setTimeMs(long v) { timeMs = v; }
    public String getKind() { return kind; }
    public void setKind(String v) { kind = v; }
  }

  /** The per-user function: events and state in, session rows out, timer set. */
  static final class Track implements FlatMapGroupsWithStateFunction<String, Row, StoredState, SessionRow> {
    private final SessionTracker tracker;

    Track(long timeoutMs) {
      this.tracker = new SessionTracker(timeoutMs);
    }

    @Override
    public Iterator<SessionRow> call(String userId, Iterator<Row> rows, GroupState<StoredState> state) {
      List<SessionTracker.Event> events = new ArrayList<>();
      rows.forEachRemaining(r -> events.add(event(r)));
      long watermark = state.getCurrentWatermarkMs();
      SessionTracker.Update update = tracker.apply(userId, state.exists() ? state.get().toState() : null, events, watermark);
      List<SessionRow> out = new ArrayList<>();
      update.supersededStarts().forEach(start -> out.add(SessionRow.deleted(userId, start)));
      update.sessions().forEach(s -> out.add(SessionRow.of(s)));
      if (update.state() == null) {
        state.remove();
      } else {
        state.update(StoredState.of(update.state()));
        // Spark fires the timer once the watermark is past it; it may not lie before the current watermark
        state.setTimeoutTimestamp(Math.max(update.nextTimeoutMs().getAsLong(), Math.max(watermark, 0) + 1));
      }
      return out.iterator();
    }
  }

  /**
   * @param watermarkedEvents valid events with {@code withWatermark("event_time", ...)} applied
   * @param timeout SESSION_TIMEOUT
   * @return session rows (see the class comment), in update mode
   */
  public static Dataset<Row> of(Dataset<Row> watermarkedEvents, Duration timeout) {
    return columns(byUser(watermarkedEvents)
        .flatMapGroupsWithState(new Track(timeout.toMillis()), OutputMode.Update(),
            Encoders.bean(StoredState.class), Encoders.bean(SessionRow.class),
            GroupStateTimeout.EventTimeTimeout()));
  }

  /**
   * The sessions of a closed stretch of history, as a batch job (a recompute from the lake): each user's events
   * at once through {@link SessionTracker#finalSessions}.
   *
   * @param events valid events (event_id, event_time, event_type, user_id, ...), a batch Dataset
   * @param timeout SESSION_TIMEOUT
   * @param watermarkMs the watermark that closes the last session of each user, epoch ms
   * @return the ended and timed-out sessions, with the columns of {@link #of} ({@code deleted} false)
   */
  public static Dataset<Row> ofHistory(Dataset<Row> events, Duration timeout, long watermarkMs) {
    SessionTracker tracker = new SessionTracker(timeout.toMillis());
    return columns(byUser(events)
        .flatMapGroups((org.apache.spark.api.java.function.FlatMapGroupsFunction<String, Row, SessionRow>) (userId, rows) -> {
          List<SessionTracker.Event> history = new ArrayList<>();
          rows.forEachRemaining(r -> history.add(event(r)));
          return tracker.finalSessions(userId, history, watermarkMs).stream().map(SessionRow::of).iterator();
        }, Encoders.bean(SessionRow.class)));
  }

  /** Every event type, indexed by {@link EventType#ordinal()}: the {@code type} column of {@link #byUser}. */
  private static final EventType[] TYPES = EventType.values();

  /**
   * @param events valid events
   * @return their rows grouped by the user_id column, each as (event_id string, event_time timestamp, type int:
   *     the {@link EventType} ordinal of event_type, user_id string). The key is read from the column ({@code
   *     groupBy(...).as(...)}), not by a function of each deserialised row ({@code groupByKey(MapFunction)}
   *     deserialised every row once more, for the key alone); the type is computed by Spark, so a row reaches the
   *     function with no event_type string to decode and look up (bench/README.md, "Per-row work in
   *     user-sessions"). event_time stays a timestamp: it carries the watermark that the event-time timeout needs.
   */
  private static KeyValueGroupedDataset<String, Row> byUser(Dataset<Row> events) {
    Column type = null;
    for (EventType t : TYPES) {
      Column is = col("event_type").equalTo(t.wireName());
      type = type == null ? when(is, t.ordinal()) : type.when(is, t.ordinal());
    }
    Dataset<Row> selected = events.select(col("event_id"), col("event_time"), type.as("type"), col("user_id"));
    return selected.groupBy(col("user_id")).as(Encoders.STRING(), Encoders.row(selected.schema()));
  }

  /**
   * @param row a row of {@link #byUser}
   * @return the tracker's event
   * @throws IllegalArgumentException for an event_type outside the contract (valid events have none)
   */
  private static SessionTracker.Event event(Row row) {
    if (row.isNullAt(2)) {
      throw new IllegalArgumentException("an event without a contract event_type: " + row.getString(0));
    }
    return new SessionTracker.Event(row.getString(0), row.<Timestamp>getAs(1).getTime(), TYPES[row.getInt(2)]);
  }

  private static Dataset<Row> columns(Dataset<SessionRow> rows) {
    return rows.select(col("userId").as("user_id"), col("sessionStart").as("session_start"),
        col("sessionEnd").as("session_end"), col("durationSeconds").as("duration_seconds"),
        col("eventCount").as("event_count"), col("pageViewCount").as("page_view_count"), col("status"), col("deleted"));
  }
}
