package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.hll_sketch_agg;
import static org.apache.spark.sql.functions.hll_sketch_estimate;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.timestamp_millis;
import static org.apache.spark.sql.functions.unix_millis;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.window;

import dev.clickstream.contract.EventType;
import dev.clickstream.contract.ResultTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Every windowed result of architecture §4 from one streaming aggregation, the {@code analytics} query:
 * {@code page_view_counts} (1-minute tumbling windows per page: page views), {@code active_users} (5-minute windows
 * sliding by 1 minute: distinct users, a DataSketches HLL estimate), {@code product_activity} (1-minute tumbling
 * windows per product: views, add_to_carts, purchases), {@code category_revenue} (10-minute tumbling windows per
 * category and currency: orders, units, revenue), {@code conversion_funnel} (10-minute tumbling windows: distinct
 * viewers, cart users, buyers and the two rates) and {@code traffic_by_segment} (10-minute tumbling windows per
 * device and country: events, distinct users). Windows are by event time, {@code [start, end)}, UTC.
 *
 * <p>In: valid events ({@link #COLUMNS}) with a watermark on event_time. Out, in update mode, one row per changed
 * (table, window, key): table string (one of {@link ResultTable}: every table but active_users, whose rows the sink
 * derives from active_user_minutes' sketches, {@link ActiveUserWindows}), window_start timestamp, window_end
 * timestamp, page_url, product_id, category, currency, device, country (strings; each table uses its own),
 * users_sketch binary (active_user_minutes: the minute's users, a DataSketches HLL sketch), view_count, views,
 * add_to_carts, purchases, orders, units, events, users, viewers, cart_users, buyers (long), revenue decimal(33,2),
 * view_to_cart and cart_to_purchase decimal(24,4) (null when the denominator is 0). Every value is absolute: the
 * window's total (or sketch) so far, never an increment, so an upsert of it is idempotent.
 *
 * <p>How:
 * <ol>
 *   <li>Events are deduplicated once, on a dedupe key within the watermark (Structured Streaming guide,
 *       "Streaming Deduplication", {@code dropDuplicatesWithinWatermark}), the key being {@code o:<order_id>}
 *       for a purchase (an order counts once, whatever event_id or event_time a resend carries) and
 *       {@code e:<event_id>} otherwise: one namespace per kind, so that no event_id can equal an order's key. The deduplication is the query's first
 *       stateful operator, so an event older than the watermark of the previous micro-batch is dropped there as
 *       late (Spark's numRowsDroppedByWatermark): every event that reaches the aggregation lies in windows that
 *       are still open, whatever their length.</li>
 *   <li>Each event becomes fact rows ({@link #facts}), at most one per table: 2 to 5 rows, one of them its
 *       minute's active-user fact (the five sliding active_users windows that hold the event are unions of their
 *       minutes' sketches, so the event is not repeated for each of them).</li>
 *   <li>One aggregation groups the facts by table, window start and the table's key, plus a <em>group window</em>
 *       of event time, the 10-minute tumbling {@code window(event_time, 10 minutes)}: Spark's streaming aggregation
 *       evicts its state by the watermark only when a window of the watermarked column is in the key (guide,
 *       "Handling Late Data and Watermarking"). Every fact's window (1 minute or 10 minutes, tumbling, aligned to
 *       the epoch) lies inside its event's group window, so each fact is in exactly one group and no fact is
 *       repeated. State of a group leaves the store when the watermark passes the group's end.</li>
 * </ol>
 * Orders are the category_revenue facts of a group: the deduplication lets each order_id through once, so
 * counting them is exact and holds no set. Distinct users (all the shop's in a minute, a segment's, the funnel's
 * viewers, cart users and buyers) are counted with Apache DataSketches HLL sketches ({@code hll_sketch_agg} with
 * lgConfigK = {@link #LG_CONFIG_K}: three sketch columns, one for a minute's users, a segment's or the funnel's
 * viewers, whichever the group's table counts, one for cart users and one for buyers; Spark's streaming
 * aggregation has no exact {@code count(distinct)}, guide, "Unsupported Operations"): a group's state is at most
 * ~8 KB per sketch however many users its window has, where an exact set held ~550 bytes per user (a window of a
 * million users: ~550 MB; bench/results/*-hostile.md). The estimate is exact in practice while a sketch is in its
 * coupon modes (up to about 3/4 x 2^(lgConfigK - 3) = 1,536 distinct users: only collisions of 26-bit hashes,
 * ~n^2 / 2^27 of them, can miss one) and has a relative standard error of 1.04 / sqrt(2^14) = 0.8% above (DataSketches HLL
 * documentation). Money is decimal throughout: price decimal(12,2) x quantity, summed
 * exactly.
 *
 * <p>Why one query: each streaming query pays a fixed cost per micro-batch (planning, a Kafka fetch, state store
 * commits), and on 2 cores six queries of the same input cost several times one.
 *
 * <pre>
 * page_view p-1 (u1, mobile, DE) 12:00:05; add_to_cart p-1 x2 @ 19.90 (u1) 12:00:20; purchase p-1 x2 @ 19.90,
 * order o-1 (u1) 12:03:00, sent twice
 * -> page_view_counts (12:00, /product/p-1): 1
 *    active_user_minutes (12:00, 12:03): a sketch of {u1} each
 *    active_users (the 11:56..12:03 windows holding these minutes, derived by the sink): 1 each
 *    product_activity (12:00, p-1): views 1, add_to_carts 1, purchases 0; (12:03, p-1): purchases 1
 *    category_revenue (12:00, books, EUR): orders 1, units 2, revenue 39.80
 *    conversion_funnel (12:00): viewers 1, cart_users 1, buyers 1, view_to_cart 1.0000, cart_to_purchase 1.0000
 *    traffic_by_segment (12:00, mobile, DE): events 3, users 1
 * </pre>
 */
public final class WindowedAnalytics {
  /** The segment value of an event without device or country. */
  public static final String UNKNOWN = "unknown";
  /** The valid-event columns this query reads: the contract's fields. */
  public static final String[] COLUMNS = dev.clickstream.contract.EventContract.FIELDS.toArray(new String[0]);
  /** log2 of the active-users sketch's number of buckets (4..21; Spark's default is 12, about 1.6% standard error). */
  public static final int LG_CONFIG_K = 14;
  /** Length of active_users windows; they slide by one minute. */
  public static final Duration ACTIVE_USERS_WINDOW = ResultTable.ACTIVE_USERS.window();
  /** The group window of the aggregation's key, tumbling (see the class comment). */
  static final String GROUP_WINDOW = "10 minutes";

  private WindowedAnalytics() {}

  /**
   * @param watermarkedEvents valid events ({@link #COLUMNS}) with {@code withWatermark("event_time", ...)} applied
   *     (streaming), or without one (a batch recompute: then nothing is late and every window is computed whole)
   * @return rows of every table but active_users (see the class comment)
   */
  public static Dataset<Row> of(Dataset<Row> watermarkedEvents) {
    Column table = col("table");
    Column usersSketch = col("users_sketch");
    return facts(once(watermarkedEvents.withColumn("dedupe_key", dedupeKey(col("event_type").equalTo(EventType.PURCHASE.wireName())))))
        // the group window: the 10-minute tumbling window of the fact's event, which holds the fact's own window;
        // then the table, its window and its key (a table's facts leave the other tables' key columns null)
        .groupBy(window(col("event_time"), GROUP_WINDOW).as("group"), table, col("window_start"), col("page_url"),
            col("product_id"), col("category"), col("currency"), col("device"), col("country"))
        .agg(max(col("product_category")).as("product_category"),
            sum(col("is_view")).as("views"), sum(col("is_cart")).as("add_to_carts"),
            sum(col("is_purchase")).as("purchases"), sum(col("units")).as("units"), sum(col("revenue")).as("revenue"),
            count(lit(1)).as("events"),
            // distinct users: a segment's, a minute's or the funnel's viewers in one sketch (a group is of one
            // table), the funnel's cart users and buyers in one each
            hll_sketch_agg(col("user"), LG_CONFIG_K).as("users_sketch"),
            hll_sketch_agg(col("cart_user"), LG_CONFIG_K).as("cart_users_sketch"),
            hll_sketch_agg(col("buyer"), LG_CONFIG_K).as("buyers_sketch"))
        .select(table, col("window_start"), windowEnd(table, col("window_start")).as("window_end"),
            col("page_url"), col("product_id"),
            // category_revenue's key, or a product's category (an attribute of product_activity's rows)
            coalesce(col("category"), col("product_category")).as("category"),
            col("currency"), col("device"), col("country"),
            col("events").as("view_count"),
            when(table.equalTo(ResultTable.ACTIVE_USER_MINUTES.tableName()), usersSketch).as("users_sketch"),
            col("views"), col("add_to_carts"), col("purchases"), coalesce(col("units"), lit(0L)).as("units"),
            coalesce(col("revenue"), lit(java.math.BigDecimal.ZERO)).as("revenue"), col("events"),
            // each category_revenue fact is one order: the deduplication let each order_id through once
            when(table.equalTo(ResultTable.CATEGORY_REVENUE.tableName()), col("events")).otherwise(lit(0L)).as("orders"),
            hll_sketch_estimate(usersSketch).as("users"),
            hll_sketch_estimate(usersSketch).as("viewers"),
            hll_sketch_estimate(col("cart_users_sketch")).as("cart_users"),
            hll_sketch_estimate(col("buyers_sketch")).as("buyers"))
        .withColumn("view_to_cart", rate(col("cart_users"), col("viewers")))
        .withColumn("cart_to_purchase", rate(col("buyers"), col("cart_users")));
  }

  /**
   * The aggregation's input: each event's fact rows, one per (table, window) it counts in, at most one per table:
   * a page view 1 for page_view_counts; every event 1 for active_user_minutes (its minute's users) and 1 for
   * traffic_by_segment; an event with a product_id 1 for product_activity; a product view, add_to_cart or purchase 1
   * for conversion_funnel; a purchase 1 for category_revenue. So 2 to 5 rows per event (a product page view or a
   * purchase 5, a page view without a product 3, another event 2).
   *
   * @param events valid events ({@link #COLUMNS}), deduplicated
   * @return event_time timestamp, table string, window_start timestamp, and the {@link #FACT} fields
   */
  public static Dataset<Row> facts(Dataset<Row> events) {
    Column time = col("event_time");
    Column type = col("event_type");
    Column user = col("user_id");
    Column isPageView = type.equalTo(EventType.PAGE_VIEW.wireName());
    Column isProductView = isPageView.and(col("product_id").isNotNull());
    Column isCart = type.equalTo(EventType.ADD_TO_CART.wireName());
    Column isPurchase = type.equalTo(EventType.PURCHASE.wireName());
    Column units = coalesce(col("quantity"), lit(1));
    Column minute = floorTo(time, Duration.ofMinutes(1));
    Column tenMinutes = floorTo(time, Duration.ofMinutes(10));

    List<Column> facts = new ArrayList<>();
    facts.add(when(isPageView, fact(ResultTable.PAGE_VIEW_COUNTS, minute, Map.of("page_url", col("page_url")))));
    facts.add(fact(ResultTable.ACTIVE_USER_MINUTES, minute, Map.of("user", user)));
    facts.add(when(col("product_id").isNotNull(), fact(ResultTable.PRODUCT_ACTIVITY, minute, Map.of(
        "product_id", col("product_id"), "product_category", col("category"), "is_view", flag(isProductView),
        "is_cart", flag(isCart), "is_purchase", flag(isPurchase)))));
    facts.add(when(isPurchase, fact(ResultTable.CATEGORY_REVENUE, tenMinutes, Map.of("category", col("category"),
        "currency", col("currency"), "units", units, "revenue", col("price").multiply(units)))));
    facts.add(when(isProductView.or(isCart).or(isPurchase), fact(ResultTable.CONVERSION_FUNNEL, tenMinutes, Map.of(
        "user", when(isProductView, user), "cart_user", when(isCart, user), "buyer", when(isPurchase, user)))));
    facts.add(fact(ResultTable.TRAFFIC_BY_SEGMENT, tenMinutes, Map.of("device", coalesce(col("device"), lit(UNKNOWN)),
        "country", coalesce(col("country"), lit(UNKNOWN)), "user", user)));
    return events.select(time, explode(array(facts.toArray(new Column[0]))).as("f"))
        .where(col("f").isNotNull())
        .select(time, col("f.*"));
  }

  /**
   * @param rows rows of {@link #of}
   * @param table one table
   * @return that table's rows, with its {@link ResultTable#columns()} only
   */
  public static Dataset<Row> rowsOf(Dataset<Row> rows, ResultTable table) {
    return rows.where(col("table").equalTo(table.tableName()))
        .select(table.columns().stream().map(c -> col(c)).toArray(Column[]::new));
  }

  /** price decimal(12,2) x quantity int fits decimal(23,2); sums of it are decimal(33,2) in Spark. */
  private static final DataType REVENUE = DataTypes.createDecimalType(23, 2);

  /**
   * The fields of a fact row after table and window_start: every table's facts have this one struct type, with
   * the fields the table does not use null. The key columns, each named as in its table: page_url
   * (page_view_counts), product_id (product_activity), category and currency (category_revenue), device and country
   * (traffic_by_segment). product_category: a product's category (an attribute of product_activity, not a key);
   * user: a user counted distinct (a segment's or a minute's user, or a viewer of the funnel: a group is of one
   * table); cart_user, buyer: the funnel's; is_*: 1 or 0; units, revenue: of a purchase.
   */
  private static final StructType FACT = new StructType()
      .add("page_url", DataTypes.StringType).add("product_id", DataTypes.StringType)
      .add("category", DataTypes.StringType).add("currency", DataTypes.StringType)
      .add("device", DataTypes.StringType).add("country", DataTypes.StringType)
      .add("product_category", DataTypes.StringType)
      .add("user", DataTypes.StringType).add("cart_user", DataTypes.StringType).add("buyer", DataTypes.StringType)
      .add("is_view", DataTypes.LongType)
      .add("is_cart", DataTypes.LongType).add("is_purchase", DataTypes.LongType)
      .add("units", DataTypes.LongType).add("revenue", REVENUE);

  /**
   * @param table the table the fact counts in
   * @param windowStart the start of its window; the end is that plus {@link ResultTable#window()}
   * @param fields values of some {@link #FACT} fields; the others are null
   * @return the fact row, a struct of table, window_start and every {@link #FACT} field cast to its type
   * @throws IllegalArgumentException naming a field that {@link #FACT} does not have
   */
  private static Column fact(ResultTable table, Column windowStart, Map<String, Column> fields) {
    for (String name : fields.keySet()) {
      if (!Arrays.asList(FACT.fieldNames()).contains(name)) {
        throw new IllegalArgumentException("no fact field " + name);
      }
    }
    List<Column> struct = new ArrayList<>(List.of(lit(table.tableName()).as("table"), windowStart.as("window_start")));
    for (StructField f : FACT.fields()) {
      struct.add(fields.getOrDefault(f.name(), lit(null)).cast(f.dataType()).as(f.name()));
    }
    return struct(struct.toArray(new Column[0]));
  }

  /**
   * @param isPurchase whether the row is a purchase
   * @return the dedupe key, a string: {@code o:<order_id>} for a purchase, {@code e:<event_id>} for any other event;
   *     the prefixes keep the two kinds apart (an event_id {@code o:1} is {@code e:o:1}, never order 1's key)
   */
  static Column dedupeKey(Column isPurchase) {
    return when(isPurchase, concat(lit("o:"), col("order_id"))).otherwise(concat(lit("e:"), col("event_id")));
  }

  /**
   * The first event of each dedupe key. Streaming: Spark's {@code dropDuplicatesWithinWatermark} (Structured
   * Streaming guide, "Streaming Deduplication"): a key is remembered until the watermark passes its first event's
   * time plus the watermark delay, whatever event_id or event_time a resend carries, and events behind the watermark
   * are dropped there as late. Batch (recompute): the first by arrival, Kafka partition and offset where the rows
   * have them (the lake's), so that a resend with another event_time counts where the live query counted it (a
   * user's records share a partition, so their order is the order they arrived in).
   */
  private static Dataset<Row> once(Dataset<Row> keyed) {
    if (keyed.isStreaming()) {
      return keyed.dropDuplicatesWithinWatermark("dedupe_key");
    }
    List<String> names = Arrays.asList(keyed.columns());
    List<Column> arrival = new ArrayList<>();
    if (names.contains("kafka_partition") && names.contains("kafka_offset")) {
      arrival.add(col("kafka_partition"));
      arrival.add(col("kafka_offset"));
    }
    arrival.add(col("event_time"));
    arrival.add(col("event_id"));
    return keyed.withColumn("arrival", row_number().over(
            Window.partitionBy(col("dedupe_key")).orderBy(arrival.toArray(new Column[0]))))
        .where(col("arrival").equalTo(1))
        .drop("arrival");
  }

  /** @return the timestamp rounded down to a multiple of {@code unit} since the epoch (Spark's window alignment) */
  private static Column floorTo(Column timestamp, Duration unit) {
    long ms = unit.toMillis();
    return timestamp_millis(floor(unix_millis(timestamp).divide(ms)).multiply(ms));
  }

  private static Column flag(Column condition) {
    return when(condition, 1L).otherwise(0L);
  }

  /** @return window_start plus the table's window length */
  private static Column windowEnd(Column table, Column windowStart) {
    Column length = null;
    for (ResultTable t : ResultTable.analytics()) {
      Column ms = lit(t.window().toMillis());
      length = length == null ? when(table.equalTo(t.tableName()), ms) : length.when(table.equalTo(t.tableName()), ms);
    }
    return timestamp_millis(unix_millis(windowStart).plus(length));
  }

  /**
   * numerator / denominator rounded half-up to 4 decimals (Spark's round), null when the denominator is 0; above 1
   * when a window has more cart users than viewers. decimal(24,4): any ratio of two bigint counts fits (20 integer
   * digits), as in the Postgres column (migration V3).
   */
  private static Column rate(Column numerator, Column denominator) {
    Column exact = numerator.cast(DataTypes.createDecimalType(20, 0)).divide(denominator.cast(DataTypes.createDecimalType(20, 0)));
    return when(denominator.gt(0), round(exact, 4).cast(DataTypes.createDecimalType(24, 4)));
  }
}
