package dev.clickstream.app;

import dev.clickstream.producer.EventType;
import dev.clickstream.producer.ProducedRecord;
import dev.clickstream.producer.UserActivityEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The expected results, computed in plain Java from the records that were sent, with no Spark involved.
 *
 * <p>Counted: every valid record, except late ones after the first chunk (see {@link ClickstreamData}), which
 * arrive behind the watermark and are dropped by the windowed queries (they still go to the lake and the
 * enriched topic). A resent event (an event_id seen before) is counted once; the lake keeps every record.
 * Windows: 1-minute tumbling; 5-minute windows sliding by 1 minute, aligned to the epoch
 * like Spark's {@code window()}.
 */
final class Oracle {
  /** (window_start, page_url) -> view_count. */
  final Map<String, Long> pageViewCounts = new TreeMap<>();
  /** window_start -> distinct users. */
  final Map<Instant, Long> activeUsers = new TreeMap<>();
  final Set<String> validEventIds = new HashSet<>();
  /** The event_id of every valid record, resends included, sorted: the lake's rows. */
  final List<String> lakeEventIds;
  final Map<String, String> deadLetterReasonByValue = new HashMap<>();
  /** "user_id session_start" -> "session_end event_count page_view_count duration_seconds status". */
  final Map<String, String> sessions = new TreeMap<>();
  final long validCount;
  final long droppedLate;

  /** MAX_EVENT_TIME_SKEW's default. */
  static final java.time.Duration MAX_EVENT_TIME_SKEW = java.time.Duration.ofMinutes(10);

  Oracle(List<ProducedRecord> sent, int firstChunkSize) {
    Map<Instant, Set<String>> users = new HashMap<>();
    Map<String, List<UserActivityEvent>> byUser = new HashMap<>();
    long maxEventTime = Long.MIN_VALUE;
    long valid = 0;
    List<String> lakeIds = new java.util.ArrayList<>();
    long dropped = 0;
    for (int i = 0; i < sent.size(); i++) {
      ProducedRecord r = sent.get(i);
      if (r.kind() == ProducedRecord.Kind.MALFORMED) {
        deadLetterReasonByValue.put(r.value(), reasonPrefix(r));
        continue;
      }
      if (r.event().eventTime().isAfter(Instant.now().plus(MAX_EVENT_TIME_SKEW))) {
        // a client clock ahead of the processing time (DESIGN §3): malformed, it must not move any watermark
        deadLetterReasonByValue.put(r.value(), "event_time in future: ");
        continue;
      }
      valid++;
      lakeIds.add(r.event().eventId());
      if (!validEventIds.add(r.event().eventId())) {
        continue; // a resend: the aggregates count each event_id once (DESIGN §4)
      }
      if (r.kind() == ProducedRecord.Kind.LATE && i >= firstChunkSize) {
        dropped++;
        continue;
      }
      UserActivityEvent e = r.event();
      long t = e.eventTime().toEpochMilli();
      byUser.computeIfAbsent(e.userId(), k -> new java.util.ArrayList<>()).add(e);
      maxEventTime = Math.max(maxEventTime, t);
      if (e.eventType() == EventType.PAGE_VIEW) {
        pageViewCounts.merge(pageKey(Instant.ofEpochMilli(floor(t, 60_000)), e.pageUrl()), 1L, Long::sum);
      }
      long lastStart = floor(t, 60_000);
      for (long start = lastStart; start > t - 300_000; start -= 60_000) {
        users.computeIfAbsent(Instant.ofEpochMilli(start), k -> new HashSet<>()).add(e.userId());
      }
    }
    users.forEach((start, set) -> activeUsers.put(start, (long) set.size()));
    long finalWatermark = maxEventTime - WATERMARK.toMillis();
    byUser.forEach((user, events) -> sessionize(user, events, finalWatermark));
    this.validCount = valid;
    this.lakeEventIds = lakeIds.stream().sorted().toList();
    this.droppedLate = dropped;
  }

  static final Duration WATERMARK = Duration.ofMinutes(2);
  static final long TIMEOUT_MS = Duration.ofMinutes(15).toMillis();

  /**
   * DESIGN §4's session rules, written out again independently of the pipeline's SessionTracker: events sorted
   * by time (ties: session_start, page_view, click, session_end, then event_id); a session starts at
   * session_start or the first event, ends at session_end, at the last event before another session_start, or
   * times out after a gap of more than 15 minutes (end = last event); the last one is still active unless the
   * final watermark (newest event time - 2 minutes) is more than 15 minutes past its last event.
   */
  private void sessionize(String user, List<UserActivityEvent> events, long finalWatermark) {
    List<UserActivityEvent> sorted = new java.util.ArrayList<>(events);
    sorted.sort(java.util.Comparator.comparing(UserActivityEvent::eventTime)
        .thenComparingInt(e -> tieRank(e.eventType()))
        .thenComparing(UserActivityEvent::eventId));
    long start = 0;
    long last = 0;
    long count = 0;
    long views = 0;
    boolean open = false;
    for (UserActivityEvent e : sorted) {
      long t = e.eventTime().toEpochMilli();
      if (open && (t - last > TIMEOUT_MS)) {
        putSession(user, start, last, count, views, "timed_out");
        open = false;
      }
      if (open && e.eventType() == EventType.SESSION_START) {
        putSession(user, start, last, count, views, "ended");
        open = false;
      }
      if (!open) {
        open = true;
        start = t;
        count = 0;
        views = 0;
      }
      last = t;
      count++;
      views += e.eventType() == EventType.PAGE_VIEW ? 1 : 0;
      if (e.eventType() == EventType.SESSION_END) {
        putSession(user, start, t, count, views, "ended");
        open = false;
      }
    }
    if (open) {
      if (finalWatermark > last + TIMEOUT_MS) {
        putSession(user, start, last, count, views, "timed_out");
      } else {
        sessions.put(sessionKey(user, Instant.ofEpochMilli(start)),
            sessionValue(null, count, views, (last - start) / 1000.0, "active"));
      }
    }
  }

  private static int tieRank(EventType type) {
    return switch (type) {
      case SESSION_START -> 0;
      case PAGE_VIEW -> 1;
      case CLICK -> 2;
      case SESSION_END -> 3;
    };
  }

  private void putSession(String user, long start, long end, long count, long views, String status) {
    sessions.put(sessionKey(user, Instant.ofEpochMilli(start)),
        sessionValue(Instant.ofEpochMilli(end), count, views, (end - start) / 1000.0, status));
  }

  static String sessionKey(String user, Instant start) {
    return user + " " + start;
  }

  static String sessionValue(Instant end, long count, long views, double durationSeconds, String status) {
    return end + " " + count + " " + views + " " + String.format(java.util.Locale.ROOT, "%.3f", durationSeconds) + " " + status;
  }

  static String pageKey(Instant windowStart, String pageUrl) {
    return windowStart + " " + pageUrl;
  }

  private static long floor(long t, long unit) {
    return Math.floorDiv(t, unit) * unit;
  }

  private static String reasonPrefix(ProducedRecord r) {
    return switch (r.malformedKind()) {
      case NOT_JSON -> "not JSON";
      case MISSING_USER_ID -> "user_id is missing";
      case BAD_EVENT_TIME -> "unparsable event_time: ";
      case UNKNOWN_EVENT_TYPE -> "unknown event_type: add_to_wishlist";
    };
  }

  /** The window end of an active-users window. */
  static Instant activeUsersEnd(Instant start) {
    return start.plus(Duration.ofMinutes(5));
  }
}
