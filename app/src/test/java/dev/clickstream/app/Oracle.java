package dev.clickstream.app;

import dev.clickstream.contract.EventType;
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
  /** The four commerce tables' rows: {@link Commerce#rows()}. */
  final Map<String, String> commerceRows;
  final long validCount;
  final long droppedLate;

  /** MAX_EVENT_TIME_SKEW's default. */
  static final java.time.Duration MAX_EVENT_TIME_SKEW = java.time.Duration.ofMinutes(1);

  Oracle(List<ProducedRecord> sent, int firstChunkSize) {
    Map<Instant, Set<String>> users = new HashMap<>();
    Map<String, List<UserActivityEvent>> byUser = new HashMap<>();
    long maxEventTime = Long.MIN_VALUE;
    long valid = 0;
    List<String> lakeIds = new java.util.ArrayList<>();
    long dropped = 0;
    Commerce commerce = new Commerce();
    Set<String> analyticsOrders = new HashSet<>();
    for (int i = 0; i < sent.size(); i++) {
      ProducedRecord r = sent.get(i);
      if (r.kind() == ProducedRecord.Kind.MALFORMED) {
        deadLetterReasonByValue.put(r.value(), reasonPrefix(r));
        continue;
      }
      if (r.event().eventTime().isAfter(Instant.now().plus(MAX_EVENT_TIME_SKEW))) {
        // a client clock ahead of the processing time (architecture §3): malformed, it must not move any watermark
        deadLetterReasonByValue.put(r.value(), "event_time in future: ");
        continue;
      }
      valid++;
      lakeIds.add(r.event().eventId());
      if (!validEventIds.add(r.event().eventId())) {
        continue; // a resend: the aggregates count each event_id once (architecture §4)
      }
      if (r.kind() == ProducedRecord.Kind.LATE && i >= firstChunkSize) {
        dropped++;
        continue;
      }
      UserActivityEvent e = r.event();
      long t = e.eventTime().toEpochMilli();
      byUser.computeIfAbsent(e.userId(), k -> new java.util.ArrayList<>()).add(e);
      maxEventTime = Math.max(maxEventTime, t);
      if (e.eventType() == EventType.PURCHASE && !analyticsOrders.add(e.orderId())) {
        continue; // the analytics count an order once, whatever event_id or event_time a resend carries (architecture §4)
      }
      if (e.eventType() == EventType.PAGE_VIEW) {
        pageViewCounts.merge(pageKey(Instant.ofEpochMilli(floor(t, 60_000)), e.pageUrl()), 1L, Long::sum);
      }
      long lastStart = floor(t, 60_000);
      for (long start = lastStart; start > t - 300_000; start -= 60_000) {
        users.computeIfAbsent(Instant.ofEpochMilli(start), k -> new HashSet<>()).add(e.userId());
      }
      commerce.add(e);
    }
    users.forEach((start, set) -> activeUsers.put(start, (long) set.size()));
    this.commerceRows = commerce.rows();
    long finalWatermark = maxEventTime - WATERMARK.toMillis();
    byUser.forEach((user, events) -> sessionize(user, events, finalWatermark));
    this.validCount = valid;
    this.lakeEventIds = lakeIds.stream().sorted().toList();
    this.droppedLate = dropped;
  }

  static final Duration WATERMARK = Duration.ofMinutes(2);
  static final long TIMEOUT_MS = Duration.ofMinutes(15).toMillis();

  /**
   * architecture §4's session rules, written out again independently of the pipeline's SessionTracker: events sorted
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
      case ADD_TO_CART -> 3;
      case PURCHASE -> 4;
      case SESSION_END -> 5;
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
    if (r.malformedKind() == null) { // a hand-made hostile record: the producer's codec, the other validator, says why
      try {
        dev.clickstream.producer.EventCodec.fromJson(r.value(), Instant.now(), MAX_EVENT_TIME_SKEW);
        throw new IllegalStateException("a record meant to be malformed is valid: " + r.value());
      } catch (dev.clickstream.producer.MalformedEventException e) {
        return e.getMessage().substring(0, e.getMessage().indexOf(':') + 1);
      }
    }
    return switch (r.malformedKind()) {
      case NOT_JSON -> "not JSON";
      case MISSING_USER_ID -> "user_id is missing";
      case BAD_EVENT_TIME -> "unparsable event_time: ";
      case UNKNOWN_EVENT_TYPE -> "unknown event_type: add_to_wishlist";
      case MISSING_ORDER_ID -> "order_id is missing (required for purchase)";
      case NEGATIVE_PRICE -> "invalid price: -1.00";
    };
  }

  /** The window end of an active-users window. */
  static Instant activeUsersEnd(Instant start) {
    return start.plus(Duration.ofMinutes(5));
  }

  /**
   * architecture §4's commerce definitions, written out again in plain Java, over events already deduplicated by event_id
   * (a purchase by order_id) and without the late ones: product_activity per 1-minute window and product;
   * category_revenue, conversion_funnel and traffic_by_segment per 10-minute window and key. Money in BigDecimal.
   */
  static final class Commerce {
    private final Map<String, long[]> products = new TreeMap<>(); // views, carts, purchases
    private final Map<String, String> productCategory = new HashMap<>();
    private final Map<String, Set<String>> orders = new TreeMap<>();
    private final Map<String, long[]> units = new HashMap<>();
    private final Map<String, java.math.BigDecimal> revenue = new HashMap<>();
    private final Map<String, List<Set<String>>> funnel = new TreeMap<>(); // viewers, cart users, buyers
    private final Map<String, long[]> segmentEvents = new TreeMap<>();
    private final Map<String, Set<String>> segmentUsers = new HashMap<>();
    private final Set<String> seenOrders = new HashSet<>();

    void add(UserActivityEvent e) {
      if (e.eventType() == EventType.PURCHASE && !seenOrders.add(e.orderId())) {
        return; // the same order again
      }
      long t = e.eventTime().toEpochMilli();
      Instant minute = Instant.ofEpochMilli(floor(t, 60_000));
      Instant tenMinutes = Instant.ofEpochMilli(floor(t, 600_000));
      boolean view = e.eventType() == EventType.PAGE_VIEW && e.productId() != null;
      if (e.productId() != null) {
        String key = "product_activity " + minute + " " + e.productId() + " | " + minute.plusSeconds(60);
        long[] c = products.computeIfAbsent(key, k -> new long[3]);
        c[0] += view ? 1 : 0;
        c[1] += e.eventType() == EventType.ADD_TO_CART ? 1 : 0;
        c[2] += e.eventType() == EventType.PURCHASE ? 1 : 0;
        if (e.category() != null) {
          productCategory.merge(key, e.category(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
      }
      if (e.eventType() == EventType.PURCHASE) {
        String key = "category_revenue " + tenMinutes + " " + e.category() + " " + e.currency() + " | " + tenMinutes.plusSeconds(600);
        orders.computeIfAbsent(key, k -> new HashSet<>()).add(e.orderId());
        units.computeIfAbsent(key, k -> new long[1])[0] += e.units();
        revenue.merge(key, e.amount(), java.math.BigDecimal::add);
      }
      if (view || e.eventType() == EventType.ADD_TO_CART || e.eventType() == EventType.PURCHASE) {
        String key = "conversion_funnel " + tenMinutes + " | " + tenMinutes.plusSeconds(600);
        List<Set<String>> sets = funnel.computeIfAbsent(key, k -> List.of(new HashSet<>(), new HashSet<>(), new HashSet<>()));
        sets.get(view ? 0 : e.eventType() == EventType.ADD_TO_CART ? 1 : 2).add(e.userId());
      }
      String segment = "traffic_by_segment " + tenMinutes + " " + (e.device() == null ? "unknown" : e.device()) + " "
          + (e.country() == null ? "unknown" : e.country()) + " | " + tenMinutes.plusSeconds(600);
      segmentEvents.computeIfAbsent(segment, k -> new long[1])[0]++;
      segmentUsers.computeIfAbsent(segment, k -> new HashSet<>()).add(e.userId());
    }

    /**
     * @return "table window_start key... | window_end" -> the other columns in {@code CommerceAnalytics.columnsOf}
     *     order, space-separated (decimals as plain text with their scale, a null rate as {@code null})
     */
    Map<String, String> rows() {
      Map<String, String> rows = new TreeMap<>();
      products.forEach((k, c) -> rows.put(k, productCategory.get(k) + " " + c[0] + " " + c[1] + " " + c[2]));
      orders.forEach((k, o) -> rows.put(k, o.size() + " " + units.get(k)[0] + " " + revenue.get(k).toPlainString()));
      funnel.forEach((k, sets) -> {
        long viewers = sets.get(0).size();
        long carts = sets.get(1).size();
        long buyers = sets.get(2).size();
        rows.put(k, viewers + " " + carts + " " + buyers + " " + rate(carts, viewers) + " " + rate(buyers, carts));
      });
      segmentEvents.forEach((k, c) -> rows.put(k, c[0] + " " + segmentUsers.get(k).size()));
      return rows;
    }

    private static String rate(long numerator, long denominator) {
      return denominator == 0 ? "null" : java.math.BigDecimal.valueOf(numerator)
          .divide(java.math.BigDecimal.valueOf(denominator), 4, java.math.RoundingMode.HALF_UP).toPlainString();
    }
  }
}
