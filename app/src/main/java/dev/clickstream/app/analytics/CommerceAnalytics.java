package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.window;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The web shop's money questions in one streaming query (DESIGN §4): {@code product_activity} (1-minute tumbling
 * windows per product: views, add_to_carts, purchases), {@code category_revenue} (10-minute tumbling windows per
 * category and currency: orders, units, revenue), {@code conversion_funnel} (10-minute tumbling windows: distinct
 * viewers, cart users, buyers and the two rates) and {@code traffic_by_segment} (10-minute tumbling windows per
 * device and country: events, distinct users). Windows are by event time, {@code [start, end)}, UTC.
 *
 * <p>In: lake events ({@link #COLUMNS}) with a watermark on event_time. Out, in update mode, one row per changed
 * (table, window, key): table string (one of {@link Table}), window_start timestamp, window_end timestamp,
 * product_id, category, currency, device, country (strings; each table uses its own), views, add_to_carts,
 * purchases, orders, units, events, users, viewers, cart_users, buyers (long), revenue decimal(33,2),
 * view_to_cart and cart_to_purchase decimal(6,4) (null when the denominator is 0). Every value is absolute: the
 * window's total so far, never an increment, so an upsert of it is idempotent.
 *
 * <p>How: events are deduplicated once, on (dedupe key, event_time) with the watermark (Structured Streaming
 * guide, "Streaming Deduplication"), the dedupe key being {@code order:<order_id>} for a purchase (an order counts
 * once, however often it is resent) and the event_id otherwise. A deduplicated row that is older than the
 * watermark of the previous micro-batch is dropped there as late (Spark's numRowsDroppedByWatermark, in the
 * progress lines), so every row that reaches the aggregation lies in a window that is still open. Each event then
 * becomes up to four fact rows, one per table it counts in, and one aggregation groups them by the 10-minute window
 * of event time, the table and the table's key (the 1-minute window of a product row is part of its key, so its
 * state lives until the 10-minute window closes). Exact distinct users and orders are {@code size(collect_set(...))}:
 * Spark's streaming aggregation has no exact {@code count(distinct)} (Structured Streaming guide, "Unsupported
 * Operations"), and the sets per window are small (users of one segment or of the funnel in 10 minutes). Money is
 * decimal throughout: price decimal(12,2) x quantity, summed exactly.
 *
 * <p>Why one query for four tables: each streaming query has a fixed cost per micro-batch (planning, state store
 * commits, a scan of the new lake files), and on 2 cores four queries of the same input cost about four times
 * one (make bench's commerce rows measure both). The query's sink splits its rows by {@code table}.
 *
 * <pre>
 * page_view p-1 (u1, mobile, DE) 12:00:05; add_to_cart p-1 x2 @ 19.90 (u1) 12:00:20; purchase p-1 x2 @ 19.90,
 * order o-1 (u1) 12:03:00, sent twice
 * -> product_activity (12:00, p-1): views 1, add_to_carts 1, purchases 0; (12:03, p-1): purchases 1
 *    category_revenue (12:00, books, EUR): orders 1, units 2, revenue 39.80
 *    conversion_funnel (12:00): viewers 1, cart_users 1, buyers 1, view_to_cart 1.0000, cart_to_purchase 1.0000
 *    traffic_by_segment (12:00, mobile, DE): events 3, users 1
 * </pre>
 */
public final class CommerceAnalytics {
  /** Window of product_activity. */
  public static final String PRODUCT_WINDOW = "1 minute";
  /** Window of category_revenue, conversion_funnel and traffic_by_segment. */
  public static final String WINDOW = "10 minutes";
  /** The segment value of an event without device or country. */
  public static final String UNKNOWN = "unknown";
  /** The lake columns this query reads. */
  public static final String[] COLUMNS = {"event_id", "event_time", "user_id", "event_type", "product_id", "category",
      "price", "quantity", "currency", "order_id", "device", "country"};

  /** The four tables, by their Postgres names. */
  public enum Table {
    PRODUCT_ACTIVITY, CATEGORY_REVENUE, CONVERSION_FUNNEL, TRAFFIC_BY_SEGMENT;

    /** @return the table's name, e.g. {@code product_activity} */
    public String tableName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private CommerceAnalytics() {}

  /**
   * @param watermarkedEvents lake events ({@link #COLUMNS}) with {@code withWatermark("event_time", ...)} applied
   * @return rows of all four tables (see the class comment)
   */
  public static Dataset<Row> of(Dataset<Row> watermarkedEvents) {
    return of(watermarkedEvents, Set.of(Table.values()));
  }

  /**
   * @param watermarkedEvents lake events ({@link #COLUMNS}) with {@code withWatermark("event_time", ...)} applied
   * @param tables the tables to compute (a benchmark measures one query per table against one for all)
   * @return rows of those tables (see the class comment)
   */
  public static Dataset<Row> of(Dataset<Row> watermarkedEvents, Set<Table> tables) {
    Column type = col("event_type");
    Column isView = type.equalTo("page_view").and(col("product_id").isNotNull());
    Column isCart = type.equalTo("add_to_cart");
    Column isPurchase = type.equalTo("purchase");
    Column units = coalesce(col("quantity"), lit(1));
    List<Column> facts = new ArrayList<>();
    if (tables.contains(Table.PRODUCT_ACTIVITY)) {
      facts.add(when(col("product_id").isNotNull(), fact(Table.PRODUCT_ACTIVITY, Map.of(
          "minute", window(col("event_time"), PRODUCT_WINDOW).getField("start"), "k1", col("product_id"),
          "category", col("category"), "is_view", flag(isView), "is_cart", flag(isCart), "is_purchase", flag(isPurchase)))));
    }
    if (tables.contains(Table.CATEGORY_REVENUE)) {
      facts.add(when(isPurchase, fact(Table.CATEGORY_REVENUE, Map.of("k1", col("category"), "k2", col("currency"),
          "order_id", col("order_id"), "units", units, "revenue", col("price").multiply(units)))));
    }
    if (tables.contains(Table.CONVERSION_FUNNEL)) {
      facts.add(when(isView.or(isCart).or(isPurchase), fact(Table.CONVERSION_FUNNEL, Map.of(
          "viewer", when(isView, col("user_id")), "cart_user", when(isCart, col("user_id")),
          "buyer", when(isPurchase, col("user_id"))))));
    }
    if (tables.contains(Table.TRAFFIC_BY_SEGMENT)) {
      facts.add(fact(Table.TRAFFIC_BY_SEGMENT, Map.of("k1", coalesce(col("device"), lit(UNKNOWN)),
          "k2", coalesce(col("country"), lit(UNKNOWN)), "user", col("user_id"))));
    }
    return watermarkedEvents
        .withColumn("dedupe_key", when(isPurchase, concat(lit("order:"), col("order_id"))).otherwise(col("event_id")))
        .dropDuplicates("dedupe_key", "event_time")
        .select(col("event_time"), explode(array(facts.toArray(new Column[0]))).as("f"))
        .where(col("f").isNotNull())
        .groupBy(window(col("event_time"), WINDOW), col("f.table"), col("f.minute"), col("f.k1"), col("f.k2"))
        .agg(max(col("f.category")).as("category"),
            sum(col("f.is_view")).as("views"), sum(col("f.is_cart")).as("add_to_carts"),
            sum(col("f.is_purchase")).as("purchases"), size(collect_set(col("f.order_id"))).cast(DataTypes.LongType).as("orders"),
            sum(col("f.units")).as("units"), sum(col("f.revenue")).as("revenue"),
            count(lit(1)).as("events"), distinct("f.user").as("users"), distinct("f.viewer").as("viewers"),
            distinct("f.cart_user").as("cart_users"), distinct("f.buyer").as("buyers"))
        .select(col("table"),
            coalesce(col("minute"), col("window.start")).as("window_start"),
            when(col("minute").isNotNull(), col("minute").plus(org.apache.spark.sql.functions.expr("INTERVAL 1 MINUTE")))
                .otherwise(col("window.end")).as("window_end"),
            when(col("table").equalTo(Table.PRODUCT_ACTIVITY.tableName()), col("k1")).as("product_id"),
            when(col("table").equalTo(Table.CATEGORY_REVENUE.tableName()), col("k1")).otherwise(col("category")).as("category"),
            when(col("table").equalTo(Table.CATEGORY_REVENUE.tableName()), col("k2")).as("currency"),
            when(col("table").equalTo(Table.TRAFFIC_BY_SEGMENT.tableName()), col("k1")).as("device"),
            when(col("table").equalTo(Table.TRAFFIC_BY_SEGMENT.tableName()), col("k2")).as("country"),
            col("views"), col("add_to_carts"), col("purchases"), col("orders"), coalesce(col("units"), lit(0L)).as("units"),
            coalesce(col("revenue"), lit(java.math.BigDecimal.ZERO)).as("revenue"), col("events"), col("users"),
            col("viewers"), col("cart_users"), col("buyers"),
            rate(col("cart_users"), col("viewers")).as("view_to_cart"),
            rate(col("buyers"), col("cart_users")).as("cart_to_purchase"));
  }

  /** price decimal(12,2) x quantity int fits decimal(23,2); sums of it are decimal(33,2) in Spark. */
  private static final DataType REVENUE = DataTypes.createDecimalType(23, 2);

  /**
   * The fields of a fact row after its {@code table}: every table's facts have this one struct type, with the
   * fields the table does not use null. minute: a product row's 1-minute window; k1, k2: the table's key;
   * user / viewer / cart_user / buyer: users counted distinct; is_*: 1 or 0; units, revenue: of a purchase.
   */
  private static final StructType FACT = new StructType()
      .add("minute", DataTypes.TimestampType).add("k1", DataTypes.StringType).add("k2", DataTypes.StringType)
      .add("category", DataTypes.StringType).add("user", DataTypes.StringType).add("viewer", DataTypes.StringType)
      .add("cart_user", DataTypes.StringType).add("buyer", DataTypes.StringType).add("is_view", DataTypes.LongType)
      .add("is_cart", DataTypes.LongType).add("is_purchase", DataTypes.LongType).add("order_id", DataTypes.StringType)
      .add("units", DataTypes.LongType).add("revenue", REVENUE);

  /**
   * @param table the table the fact counts in
   * @param fields values of some {@link #FACT} fields; the others are null
   * @return the fact row, a struct of table and every {@link #FACT} field cast to its type
   * @throws IllegalArgumentException naming a field that {@link #FACT} does not have
   */
  private static Column fact(Table table, Map<String, Column> fields) {
    for (String name : fields.keySet()) {
      if (!java.util.Arrays.asList(FACT.fieldNames()).contains(name)) {
        throw new IllegalArgumentException("no fact field " + name);
      }
    }
    List<Column> struct = new ArrayList<>(List.of(lit(table.tableName()).as("table")));
    for (StructField f : FACT.fields()) {
      struct.add(fields.getOrDefault(f.name(), lit(null)).cast(f.dataType()).as(f.name()));
    }
    return struct(struct.toArray(new Column[0]));
  }

  private static Column flag(Column condition) {
    return when(condition, 1L).otherwise(0L);
  }

  private static Column distinct(String column) {
    return size(collect_set(col(column))).cast(DataTypes.LongType);
  }

  /** numerator / denominator rounded half-up to 4 decimals (Spark's round), null when the denominator is 0. */
  private static Column rate(Column numerator, Column denominator) {
    Column exact = numerator.cast(DataTypes.createDecimalType(20, 0)).divide(denominator.cast(DataTypes.createDecimalType(20, 0)));
    return when(denominator.gt(0), round(exact, 4).cast(DataTypes.createDecimalType(6, 4)));
  }

  /**
   * @param table a table
   * @return its Postgres columns (DESIGN §4) but updated_at, in order: the columns of this query's rows the sink writes
   */
  public static List<String> columnsOf(Table table) {
    return switch (table) {
      case PRODUCT_ACTIVITY -> List.of("window_start", "window_end", "product_id", "category", "views", "add_to_carts", "purchases");
      case CATEGORY_REVENUE -> List.of("window_start", "window_end", "category", "currency", "orders", "units", "revenue");
      case CONVERSION_FUNNEL -> List.of("window_start", "window_end", "viewers", "cart_users", "buyers", "view_to_cart",
          "cart_to_purchase");
      case TRAFFIC_BY_SEGMENT -> List.of("window_start", "window_end", "device", "country", "events", "users");
    };
  }

  /**
   * @param table a table
   * @return its primary key (DESIGN §4)
   */
  public static List<String> keyOf(Table table) {
    return switch (table) {
      case PRODUCT_ACTIVITY -> List.of("window_start", "product_id");
      case CATEGORY_REVENUE -> List.of("window_start", "category", "currency");
      case CONVERSION_FUNNEL -> List.of("window_start");
      case TRAFFIC_BY_SEGMENT -> List.of("window_start", "device", "country");
    };
  }

}
