package dev.clickstream.contract;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The Postgres tables the pipeline writes (docs/architecture.md, "Outputs"; created by the Flyway migrations
 * {@code db/migration/V*.sql}), in the order an analytics transaction writes them. Each owns its name, the columns
 * the pipeline writes (every column but the {@code updated_at}/{@code rejected_at} the database sets), its primary
 * key and, for the windowed tables, its window length.
 */
public enum ResultTable {
  /** Page views per page and 1-minute tumbling window. */
  PAGE_VIEW_COUNTS(Query.ANALYTICS, Duration.ofMinutes(1), List.of("window_start", "window_end", "page_url", "view_count"),
      List.of("window_start", "page_url")),
  /** Distinct users per 5-minute window sliding by 1 minute: the union of five {@link #ACTIVE_USER_MINUTES} sketches. */
  ACTIVE_USERS(Query.ANALYTICS, Duration.ofMinutes(5), List.of("window_start", "window_end", "active_user_count"),
      List.of("window_start", "window_end")),
  /** Each event-time minute's users as an HLL sketch (bytes): what the active_users windows are unions of. */
  ACTIVE_USER_MINUTES(Query.ANALYTICS, Duration.ofMinutes(1), List.of("window_start", "window_end", "users_sketch"),
      List.of("window_start")),
  /** Views, add-to-carts and purchases per product and 1-minute tumbling window. */
  PRODUCT_ACTIVITY(Query.ANALYTICS, Duration.ofMinutes(1),
      List.of("window_start", "window_end", "product_id", "category", "views", "add_to_carts", "purchases"),
      List.of("window_start", "product_id")),
  /** Orders, units and revenue per category, currency and 10-minute tumbling window. */
  CATEGORY_REVENUE(Query.ANALYTICS, Duration.ofMinutes(10),
      List.of("window_start", "window_end", "category", "currency", "orders", "units", "revenue"),
      List.of("window_start", "category", "currency")),
  /** Viewers, cart users, buyers and the two conversion rates per 10-minute tumbling window. */
  CONVERSION_FUNNEL(Query.ANALYTICS, Duration.ofMinutes(10),
      List.of("window_start", "window_end", "viewers", "cart_users", "buyers", "view_to_cart", "cart_to_purchase"),
      List.of("window_start")),
  /** Events and distinct users per device, country and 10-minute tumbling window. */
  TRAFFIC_BY_SEGMENT(Query.ANALYTICS, Duration.ofMinutes(10),
      List.of("window_start", "window_end", "device", "country", "events", "users"),
      List.of("window_start", "device", "country")),
  /** One row per session (15-minute inactivity timeout by default), updated while it is active. */
  USER_SESSIONS(Query.USER_SESSIONS, null,
      List.of("user_id", "session_start", "session_end", "duration_seconds", "event_count", "page_view_count", "status"),
      List.of("user_id", "session_start")),
  /** Rows Postgres refused (a constraint), with the error, recorded instead of failing the micro-batch. */
  REJECTED_ROWS(null, null, List.of("table_name", "row_key", "sql_state", "message", "query", "batch_id"),
      List.of("table_name", "row_key", "batch_id"));

  private final Query writtenBy;
  private final Duration window;
  private final List<String> columns;
  private final List<String> key;

  ResultTable(Query writtenBy, Duration window, List<String> columns, List<String> key) {
    this.writtenBy = writtenBy;
    this.window = window;
    this.columns = columns;
    this.key = key;
  }

  /** @return the table's name, e.g. {@code product_activity} */
  public String tableName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @return the query whose results it holds; empty for rejected_rows, which every Postgres sink writes */
  public Optional<Query> writtenBy() {
    return Optional.ofNullable(writtenBy);
  }

  /**
   * @return the window length of its rows (active_users' windows slide by 1 minute, the others tumble)
   * @throws IllegalStateException for a table without windows (user_sessions, rejected_rows)
   */
  public Duration window() {
    if (window == null) {
      throw new IllegalStateException(tableName() + " has no windows");
    }
    return window;
  }

  /** @return the columns the pipeline writes, in order (the database sets updated_at or rejected_at) */
  public List<String> columns() {
    return columns;
  }

  /** @return its primary key, a subset of {@link #columns()} */
  public List<String> key() {
    return key;
  }

  /** @return the tables of the analytics query, in the order its transaction writes them */
  public static List<ResultTable> analytics() {
    return writtenBy(Query.ANALYTICS);
  }

  /**
   * @param query a query
   * @return the tables holding its results, in write order (none for ingest and lake)
   */
  public static List<ResultTable> writtenBy(Query query) {
    return Arrays.stream(values()).filter(t -> t.writtenBy == query).toList();
  }

  /** @return every table holding results: the analytics query's and user_sessions (not rejected_rows) */
  public static List<ResultTable> results() {
    return Arrays.stream(values()).filter(t -> t.writtenBy != null).toList();
  }

  /**
   * @param tables tables
   * @return their names, in the same order
   */
  public static List<String> names(Collection<ResultTable> tables) {
    return tables.stream().map(ResultTable::tableName).toList();
  }

  @Override
  public String toString() {
    return tableName();
  }
}
