package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.sink.AnalyticsSink;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.SchemaMigrations;
import dev.clickstream.testkit.PostgresExtension;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.runtime.MemoryStream;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analytics query on a hand-made shop visit, micro-batch by micro-batch (MemoryStream): absolute values per
 * window in all six tables, a resent purchase counted once (also with a new event_id and event_time), a late purchase dropped by the watermark, exact decimal
 * revenue, rates rounded half-up and null without a denominator, the {@code unknown} segment, sliding windows of
 * active users.
 */
class WindowedAnalyticsTest {
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = MicroBatches.localSession();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /**
   * Lines {@code event_id,event_time,user_id,event_type,product_id,category,price,quantity,currency,order_id,device,
   * country} (empty = null) as valid events, watermarked by 2 minutes; a page view's page_url is
   * {@code /p/<product_id>}, or {@code /p/home} without one.
   */
  private static Dataset<Row> events(MemoryStream<String> input) {
    return MicroBatches.events(input, "event_id", "event_time", "user_id", "event_type", "product_id", "category", "price",
            "quantity", "currency", "order_id", "device", "country")
        .withColumn("page_url", when(col("event_type").equalTo("page_view"), concat(lit("/p/"),
            coalesce(col("product_id"), lit("home")))));
  }

  private static String plus5(String hhmm) {
    return java.time.LocalTime.parse(hhmm).plusMinutes(5).toString();
  }

  @Test
  void aShopVisitGivesAbsoluteExactRowsInAllSixTables() throws Exception {
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    Map<String, String> latest = new TreeMap<>(); // table + key -> the latest row written for it
    Map<java.time.Instant, byte[]> minutes = new TreeMap<>(); // active_user_minutes: the latest sketch of each minute
    StreamingQuery query = WindowedAnalytics.of(events(input)).writeStream().outputMode("update")
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> {
          for (Row r : batch.collectAsList()) {
            String table = r.getAs("table");
            if (table.equals(dev.clickstream.contract.ResultTable.ACTIVE_USER_MINUTES.tableName())) {
              minutes.put(r.<java.sql.Timestamp>getAs("window_start").toInstant(), r.getAs("users_sketch"));
              continue;
            }
            dev.clickstream.contract.ResultTable t = dev.clickstream.contract.ResultTable.valueOf(table.toUpperCase());
            List<String> columns = t.columns();
            StringBuilder key = new StringBuilder(table);
            StringBuilder value = new StringBuilder();
            for (String c : columns) {
              Object v = r.getAs(c);
              String text = v instanceof java.sql.Timestamp ts ? ts.toInstant().toString().substring(11, 16) : String.valueOf(v);
              (t.key().contains(c) ? key : value)
                  .append(' ').append(text);
            }
            latest.put(key.toString(), value.toString().trim());
          }
        }).start();
    try {
      MicroBatches.add(input, query,
          "v1,2026-11-23T12:00:05Z,u1,page_view,p-1,books,,,,,mobile,DE",
          "v2,2026-11-23T12:00:10Z,u2,page_view,p-1,books,,,,,,",
          "v3,2026-11-23T12:00:15Z,u2,page_view,,,,,,,desktop,US",
          "c1,2026-11-23T12:00:20Z,u1,add_to_cart,p-1,books,19.90,2,EUR,,mobile,DE");
      MicroBatches.add(input, query,
          "o1,2026-11-23T12:03:00Z,u1,purchase,p-1,books,19.90,2,EUR,o-1,mobile,DE",
          "o2,2026-11-23T12:03:30Z,u2,purchase,p-2,books,0.05,3,EUR,o-2,,");
      // the first purchase resent in a later micro-batch, once as it was and once with a new event_id and a new
      // event_time (another minute: it would add a product_activity row and an active-users window if counted);
      // the clock moves to 12:09 (watermark 12:07 next batch)
      MicroBatches.add(input, query,
          "o1,2026-11-23T12:03:00Z,u1,purchase,p-1,books,19.90,2,EUR,o-1,mobile,DE",
          "o1-again,2026-11-23T12:04:10Z,u1,purchase,p-1,books,19.90,2,EUR,o-1,mobile,DE",
          "v4,2026-11-23T12:09:00Z,u3,page_view,p-3,toys,,,,,tablet,FR");
      // behind the watermark (12:07): dropped, not counted anywhere
      MicroBatches.add(input, query, "o3,2026-11-23T12:05:00Z,u3,purchase,p-3,toys,5.00,1,EUR,o-3,tablet,FR");

      assertThat(latest).containsEntry("page_view_counts 12:00 /p/p-1", "12:01 2")
          .containsEntry("page_view_counts 12:00 /p/home", "12:01 1")
          .containsEntry("page_view_counts 12:09 /p/p-3", "12:10 1");
      // 5-minute windows sliding by 1 minute: u1 and u2 from 12:00 to 12:03:30, u3 at 12:09 (the 12:05 one late),
      // each the union of its minutes' sketches, as the sink derives them
      assertThat(latest).noneSatisfy((k, v) -> assertThat(k).startsWith("active_users "));
      assertThat(minutes.keySet()).as("one sketch per minute with events; the resent order's 12:04 not counted")
          .extracting(m -> m.toString().substring(11, 16)).containsExactly("12:00", "12:03", "12:09");
      Map<String, String> activeUsers = new TreeMap<>();
      ActiveUserWindows.estimates(minutes, ActiveUserWindows.windowsHolding(minutes.keySet())).forEach((start, n) ->
          activeUsers.put("active_users " + start.toString().substring(11, 16) + " "
              + plus5(start.toString().substring(11, 16)), String.valueOf(n)));
      Map<String, String> expected = new TreeMap<>();
      for (String start : List.of("11:56", "11:57", "11:58", "11:59", "12:00", "12:01", "12:02", "12:03")) {
        expected.put("active_users " + start + " " + plus5(start), "2");
      }
      for (String start : List.of("12:05", "12:06", "12:07", "12:08", "12:09")) {
        expected.put("active_users " + start + " " + plus5(start), "1");
      }
      assertThat(activeUsers).isEqualTo(expected);
      latest.keySet().removeIf(k -> k.startsWith("active_users ") || k.startsWith("page_view_counts "));
      assertThat(latest).containsEntry("product_activity 12:00 p-1", "12:01 books 2 1 0")
          .containsEntry("product_activity 12:03 p-1", "12:04 books 0 0 1")
          .containsEntry("product_activity 12:03 p-2", "12:04 books 0 0 1")
          .containsEntry("product_activity 12:09 p-3", "12:10 toys 1 0 0")
          .containsEntry("category_revenue 12:00 books EUR", "12:10 2 5 39.95")
          .containsEntry("conversion_funnel 12:00", "12:10 3 1 2 0.3333 2.0000")
          .containsEntry("traffic_by_segment 12:00 mobile DE", "12:10 3 1")
          .containsEntry("traffic_by_segment 12:00 unknown unknown", "12:10 2 1")
          .containsEntry("traffic_by_segment 12:00 desktop US", "12:10 1 1")
          .containsEntry("traffic_by_segment 12:00 tablet FR", "12:10 1 1")
          .hasSize(10);
      long dropped = 0;
      for (var p : query.recentProgress()) {
        for (var op : p.stateOperators()) {
          dropped += op.numRowsDroppedByWatermark();
        }
      }
      assertThat(dropped).as("the late purchase, in the progress lines").isEqualTo(1);
    } finally {
      query.stop();
    }
  }

  /**
   * The contract's largest order lines, 300 of them in one window, and a funnel with 300 cart users and one viewer,
   * through the real sink into the migrated tables: every value fits its column (revenue is a sum of lines below
   * 10^11 each; a rate above 1 is a real value), exactly.
   */
  @Test
  void aWindowFullOfMaximalOrdersAndAFunnelOfOneViewerFitEveryColumn(@TempDir java.nio.file.Path dir) throws Exception {
    DatabaseConfig db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password());
    SchemaMigrations.migrate(db, java.time.Duration.ofSeconds(10));
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    StreamingQuery query = new AnalyticsSink(db, new PipelineMetrics()).writer(WindowedAnalytics.of(events(input)))
        .option("checkpointLocation", dir.toString()).start();
    int buyers = 300;
    List<String> lines = new java.util.ArrayList<>();
    lines.add("v1,2026-11-23T13:00:01Z,viewer,page_view,p-max,luxury,,,,,,");
    for (int i = 0; i < buyers; i++) {
      lines.add("c" + i + ",2026-11-23T13:00:02Z,u" + i + ",add_to_cart,p-max,luxury,9999999.99,9999,EUR,,,");
      lines.add("o" + i + ",2026-11-23T13:01:00Z,u" + i + ",purchase,p-max,luxury,9999999.99,9999,EUR,order-" + i + ",,");
    }
    try {
      MicroBatches.add(input, query, lines.toArray(new String[0]));
      assertThat(query.exception().isEmpty()).as("the micro-batch was written").isTrue();
    } finally {
      query.stop();
    }
    java.math.BigDecimal line = new java.math.BigDecimal("9999999.99").multiply(java.math.BigDecimal.valueOf(9999));
    try (var c = java.sql.DriverManager.getConnection(PG.jdbcUrl(), PG.user(), PG.password());
         var st = c.createStatement()) {
      var revenue = st.executeQuery("SELECT orders, units, revenue FROM category_revenue WHERE category = 'luxury'");
      assertThat(revenue.next()).isTrue();
      assertThat(revenue.getLong(1)).isEqualTo(buyers);
      assertThat(revenue.getLong(2)).isEqualTo(9999L * buyers);
      assertThat(revenue.getBigDecimal(3)).isEqualByComparingTo(line.multiply(java.math.BigDecimal.valueOf(buyers)));
      var funnel = st.executeQuery("SELECT viewers, cart_users, buyers, view_to_cart, cart_to_purchase FROM conversion_funnel");
      assertThat(funnel.next()).isTrue();
      assertThat(funnel.getLong(1)).isEqualTo(1);
      assertThat(funnel.getLong(2)).isEqualTo(buyers);
      assertThat(funnel.getBigDecimal(4)).isEqualByComparingTo("300.0000");
      assertThat(funnel.getBigDecimal(5)).isEqualByComparingTo("1.0000");
      // active_users derived by the sink from the two minutes' sketches: 301 users at 13:00, the 300 buyers at 13:01
      var users = st.executeQuery("SELECT window_start, window_end, active_user_count FROM active_users ORDER BY 1");
      Map<String, Long> windows = new TreeMap<>();
      while (users.next()) {
        windows.put(users.getObject(1, java.time.OffsetDateTime.class).toInstant().toString().substring(11, 16) + "-"
            + users.getObject(2, java.time.OffsetDateTime.class).toInstant().toString().substring(11, 16), users.getLong(3));
      }
      assertThat(windows).isEqualTo(Map.of("12:56-13:01", 301L, "12:57-13:02", 301L, "12:58-13:03", 301L,
          "12:59-13:04", 301L, "13:00-13:05", 301L, "13:01-13:06", 300L));
    }
  }

  /**
   * A window of many distinct users holds one sketch per kind of user, not a set: the segment's users, the
   * funnel's viewers and an active_users window (a union of minute sketches) are within the HLL's error of the
   * truth (relative standard error 0.8% at lgConfigK 14; three of them allowed), and small windows stay exact (the
   * other tests).
   */
  @Test
  void aWindowOfManyUsersIsCountedWithinTheSketchError() throws Exception {
    MemoryStream<String> input = MemoryStream.apply(Encoders.STRING(), spark);
    Map<String, Row> latest = new java.util.concurrent.ConcurrentHashMap<>();
    Map<java.time.Instant, byte[]> minutes = new java.util.concurrent.ConcurrentHashMap<>();
    StreamingQuery query = WindowedAnalytics.of(events(input)).writeStream().outputMode("update")
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> {
          for (Row r : batch.collectAsList()) {
            if (r.<String>getAs("table").equals("active_user_minutes")) {
              minutes.put(r.<java.sql.Timestamp>getAs("window_start").toInstant(), r.getAs("users_sketch"));
            }
            if (r.<String>getAs("table").equals("traffic_by_segment") || r.<String>getAs("table").equals("conversion_funnel")) {
              latest.put(r.getAs("table"), r);
            }
          }
        }).start();
    int users = 20_000;
    try {
      for (int batch = 0; batch < 4; batch++) {
        List<String> lines = new java.util.ArrayList<>();
        for (int u = batch * users / 4; u < (batch + 1) * users / 4; u++) {
          // minutes 14:00-14:07 of one 10-minute window, later in each micro-batch (none behind the watermark)
          lines.add("v" + u + ",2026-11-23T14:0" + (2 * batch + u % 2) + ":00Z,user-" + u + ",page_view,p-1,books,,,,,mobile,DE");
        }
        MicroBatches.add(input, query, lines.toArray(new String[0]));
      }
      // the aggregation's state (stateStoreSave; not the dedupe's, which is per event) on the RocksDB state store:
      // its SST files after the micro-batch's commit, a few sketches per group (~140 KB here), not sets of 20,000
      // users (~600 KB of user ids alone, growing with every user)
      long aggregationState = 0;
      for (var op : query.lastProgress().stateOperators()) {
        if (op.operatorName().equals("stateStoreSave")) {
          aggregationState += op.customMetrics().get("rocksdbSstFileSize");
        }
      }
      assertThat(aggregationState).as("aggregation state, bytes").isLessThan(500_000);
    } finally {
      query.stop();
    }
    long segmentUsers = latest.get("traffic_by_segment").getAs("users");
    long viewers = latest.get("conversion_funnel").getAs("viewers");
    assertThat((long) latest.get("traffic_by_segment").getAs("events")).isEqualTo(users);
    assertThat((double) segmentUsers).isCloseTo(users, org.assertj.core.data.Offset.offset(users * 3 * 0.0081));
    assertThat((double) viewers).isCloseTo(users, org.assertj.core.data.Offset.offset(users * 3 * 0.0081));
    // the active_users window 14:00-14:05, the union of five minute sketches (HLL mode, not exact): minutes 14:00-14:03
    // hold users 0-9,999, minute 14:04 the even ones of 10,000-14,999
    java.time.Instant window = java.time.Instant.parse("2026-11-23T14:00:00Z");
    long active = ActiveUserWindows.estimates(minutes, List.of(window)).get(window);
    assertThat((double) active).isCloseTo(12_500, org.assertj.core.data.Offset.offset(12_500 * 3 * 0.0081));
  }

  /**
   * The aggregation's input: 5,000 generated events (the producer's default traffic mix) give exactly the fact rows
   * of {@link WindowedAnalytics#facts}'s rules, counted per table in plain Java, at most one per table and event;
   * prints the rows per event against the earlier layout's (five active-user facts per event, each fact then in two
   * sliding group windows before a filter kept one).
   */
  @Test
  void eachEventIsAtMostOneFactRowPerTable() {
    dev.clickstream.producer.TrafficGenerator generator = new dev.clickstream.producer.TrafficGenerator(
        dev.clickstream.producer.TrafficProfile.defaults(11, java.time.Instant.parse("2026-11-23T12:00:00Z"), 50));
    List<String> json = new java.util.ArrayList<>();
    Map<String, Long> expected = new TreeMap<>();
    long earlierLayout = 0;
    while (json.size() < 5_000) {
      dev.clickstream.producer.ProducedRecord r = generator.next();
      if (r.kind() != dev.clickstream.producer.ProducedRecord.Kind.ON_TIME) {
        continue;
      }
      var e = r.event();
      json.add(dev.clickstream.producer.EventCodec.toJson(e));
      dev.clickstream.contract.EventType type = e.eventType();
      boolean pageView = type == dev.clickstream.contract.EventType.PAGE_VIEW;
      boolean productView = pageView && e.productId() != null;
      List<String> tables = new java.util.ArrayList<>(List.of("active_user_minutes", "traffic_by_segment"));
      if (pageView) {
        tables.add("page_view_counts");
      }
      if (e.productId() != null) {
        tables.add("product_activity");
      }
      boolean purchase = type == dev.clickstream.contract.EventType.PURCHASE;
      if (productView || type == dev.clickstream.contract.EventType.ADD_TO_CART || purchase) {
        tables.add("conversion_funnel");
      }
      if (purchase) {
        tables.add("category_revenue");
      }
      tables.forEach(t -> expected.merge(t, 1L, Long::sum));
      earlierLayout += tables.size() + 4; // five active_users facts where one minute fact is now
    }
    Dataset<Row> events = spark.read().schema(dev.clickstream.app.source.EventSchema.LAKE)
        .json(spark.createDataset(json, Encoders.STRING()));
    Map<String, Long> actual = new TreeMap<>();
    for (Row r : WindowedAnalytics.facts(events).groupBy("table").count().collectAsList()) {
      actual.put(r.getString(0), r.getLong(1));
    }
    assertThat(actual).isEqualTo(expected);
    long facts = actual.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf("fact rows per event: %.2f (the earlier layout: %.2f, %.2f after its sliding group window)%n",
        facts / 5_000.0, earlierLayout / 5_000.0, 2 * earlierLayout / 5_000.0);
  }
}
