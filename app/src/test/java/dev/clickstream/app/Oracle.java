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
 * enriched topic). Windows: 1-minute tumbling; 5-minute windows sliding by 1 minute, aligned to the epoch
 * like Spark's {@code window()}.
 */
final class Oracle {
  /** (window_start, page_url) -> view_count. */
  final Map<String, Long> pageViewCounts = new TreeMap<>();
  /** window_start -> distinct users. */
  final Map<Instant, Long> activeUsers = new TreeMap<>();
  final Set<String> validEventIds = new HashSet<>();
  final Map<String, String> deadLetterReasonByValue = new HashMap<>();
  final long validCount;
  final long droppedLate;

  Oracle(List<ProducedRecord> sent, int firstChunkSize) {
    Map<Instant, Set<String>> users = new HashMap<>();
    long valid = 0;
    long dropped = 0;
    for (int i = 0; i < sent.size(); i++) {
      ProducedRecord r = sent.get(i);
      if (r.kind() == ProducedRecord.Kind.MALFORMED) {
        deadLetterReasonByValue.put(r.value(), reasonPrefix(r));
        continue;
      }
      valid++;
      validEventIds.add(r.event().eventId());
      if (r.kind() == ProducedRecord.Kind.LATE && i >= firstChunkSize) {
        dropped++;
        continue;
      }
      UserActivityEvent e = r.event();
      long t = e.eventTime().toEpochMilli();
      if (e.eventType() == EventType.PAGE_VIEW) {
        pageViewCounts.merge(pageKey(Instant.ofEpochMilli(floor(t, 60_000)), e.pageUrl()), 1L, Long::sum);
      }
      long lastStart = floor(t, 60_000);
      for (long start = lastStart; start > t - 300_000; start -= 60_000) {
        users.computeIfAbsent(Instant.ofEpochMilli(start), k -> new HashSet<>()).add(e.userId());
      }
    }
    users.forEach((start, set) -> activeUsers.put(start, (long) set.size()));
    this.validCount = valid;
    this.droppedLate = dropped;
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
