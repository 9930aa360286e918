package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.analytics.ActiveUserWindows;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.contract.ResultTable;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.source.EventSchema;
import dev.clickstream.testkit.PostgresExtension;
import dev.clickstream.testkit.PrometheusText;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link AnalyticsSink}: the six tables of a micro-batch in one pass: the result is computed once (no cache, one
 * job), each partition is one transaction over every table (a failure in the last table leaves none of the others),
 * and a row refused for its content is set aside under its own table.
 */
class AnalyticsSinkTest {
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
  private static SparkSession spark;
  private DatabaseConfig db;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @BeforeEach
  void emptyTables() throws Exception {
    db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password(), Duration.ZERO);
    SchemaMigrations.migrate(db, Duration.ofSeconds(10));
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE " + String.join(", ", tableNames()) + ", rejected_rows");
    }
  }

  private static List<String> tableNames() {
    return ResultTable.names(ResultTable.analytics());
  }

  /**
   * A shop visit of three users (page views, add-to-carts, a purchase) as lake rows; every event passes
   * {@code seen} once per time the plan reads it.
   */
  private static Dataset<Row> visits(LongAccumulator seen) {
    List<String> json = new ArrayList<>();
    for (int u = 0; u < 3; u++) {
      String user = "\"user_id\":\"u" + u + "\",\"device\":\"mobile\",\"country\":\"DE\"";
      json.add("{\"event_id\":\"v" + u + "\",\"event_time\":\"2026-11-23T12:00:0" + u + "Z\"," + user
          + ",\"event_type\":\"page_view\",\"page_url\":\"/product/p-1\",\"product_id\":\"p-1\",\"category\":\"books\"}");
      json.add("{\"event_id\":\"c" + u + "\",\"event_time\":\"2026-11-23T12:01:0" + u + "Z\"," + user
          + ",\"event_type\":\"add_to_cart\",\"page_url\":\"/cart\",\"product_id\":\"p-1\",\"category\":\"books\","
          + "\"price\":19.90,\"quantity\":2,\"currency\":\"EUR\"}");
    }
    json.add("{\"event_id\":\"b0\",\"event_time\":\"2026-11-23T12:02:00Z\",\"user_id\":\"u0\",\"device\":\"mobile\","
        + "\"country\":\"DE\",\"event_type\":\"purchase\",\"page_url\":\"/checkout\",\"product_id\":\"p-1\","
        + "\"category\":\"books\",\"price\":19.90,\"quantity\":2,\"currency\":\"EUR\",\"order_id\":\"o-1\"}");
    return spark.read().schema(EventSchema.LAKE).json(spark.createDataset(json, Encoders.STRING()))
        .filter((FilterFunction<Row>) row -> {
          seen.add(1);
          return true;
        });
  }

  private Map<String, Long> rowsPerTable() throws Exception {
    Map<String, Long> rows = new java.util.LinkedHashMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (String table : tableNames()) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          rows.put(table, rs.getLong(1));
        }
      }
    }
    return rows;
  }

  @Test
  void everyTableIsWrittenFromOneComputationOfTheResult() throws Exception {
    LongAccumulator seen = spark.sparkContext().longAccumulator();
    Dataset<Row> result = WindowedAnalytics.of(visits(seen));
    PipelineMetrics metrics = new PipelineMetrics();
    Map<ResultTable, Long> written = new AnalyticsSink(db, metrics).write(result, 4);

    assertThat(seen.value()).as("the events were read once: one job, nothing computed twice").isEqualTo(7);
    Map<String, Long> expected = new java.util.LinkedHashMap<>();
    Map<ResultTable, Long> perTable = new EnumMap<>(ResultTable.class);
    for (ResultTable t : ResultTable.analytics()) {
      Dataset<Row> rows = WindowedAnalytics.rowsOf(WindowedAnalytics.of(visits(spark.sparkContext().longAccumulator())),
          t == ResultTable.ACTIVE_USERS ? ResultTable.ACTIVE_USER_MINUTES : t);
      long n = t == ResultTable.ACTIVE_USERS // derived: the windows holding the minutes written
          ? ActiveUserWindows.windowsHolding(rows.collectAsList().stream()
              .map(r -> r.<java.sql.Timestamp>getAs("window_start").toInstant()).toList()).size()
          : rows.count();
      expected.put(t.tableName(), n);
      perTable.put(t, n);
    }
    assertThat(expected).as("every table has rows").doesNotContainValue(0L);
    assertThat(rowsPerTable()).isEqualTo(expected);
    // u0, u1, u2 at 12:00 and 12:01, u0 alone at 12:02: every window but 12:02's holds the three
    Map<String, Long> activeUsers = new java.util.TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT window_start, active_user_count FROM active_users")) {
      while (rs.next()) {
        activeUsers.put(rs.getObject(1, java.time.OffsetDateTime.class).toInstant().toString().substring(11, 16), rs.getLong(2));
      }
    }
    assertThat(activeUsers).isEqualTo(Map.of("11:56", 3L, "11:57", 3L, "11:58", 3L, "11:59", 3L, "12:00", 3L,
        "12:01", 3L, "12:02", 1L));
    assertThat(written).isEqualTo(perTable);
    PrometheusText t = PrometheusText.parse(metrics.scrape());
    for (ResultTable table : ResultTable.analytics()) {
      assertThat(t.value("clickstream_sink_rows_total", "sink", table.tableName())).hasValue(perTable.get(table));
    }
  }

  @Test
  void aFailureInTheLastTableLeavesNoneOfThePartitionsTables() throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE FUNCTION refuse_segment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "RAISE EXCEPTION 'refused by a trigger'; END $$");
      s.execute("CREATE TRIGGER refuse_segment BEFORE INSERT ON traffic_by_segment FOR EACH ROW EXECUTE FUNCTION refuse_segment()");
    }
    PipelineMetrics metrics = new PipelineMetrics();
    try {
      Dataset<Row> onePartition = WindowedAnalytics.of(visits(spark.sparkContext().longAccumulator())).coalesce(1);
      assertThatThrownBy(() -> new AnalyticsSink(db, metrics).write(onePartition, 5))
          .hasStackTraceContaining("traffic_by_segment failed");
    } finally {
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("DROP TRIGGER refuse_segment ON traffic_by_segment");
        s.execute("DROP FUNCTION refuse_segment()");
      }
    }
    assertThat(rowsPerTable()).as("one transaction: all six tables or none").containsOnly(
        tableNames().stream().map(n -> Map.entry(n, 0L)).toArray(Map.Entry[]::new));
    PrometheusText t = PrometheusText.parse(metrics.scrape());
    for (ResultTable table : ResultTable.analytics()) {
      assertThat(t.value("clickstream_sink_errors_total", "sink", table.tableName())).hasValue(1);
    }
  }

  @Test
  void aRowRefusedForItsContentIsSetAsideUnderItsTableAndTheOthersWritten() throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE category_revenue ADD CONSTRAINT no_books CHECK (category <> 'books')");
    }
    PipelineMetrics metrics = new PipelineMetrics();
    try {
      Dataset<Row> onePartition = WindowedAnalytics.of(visits(spark.sparkContext().longAccumulator())).coalesce(1);
      Map<ResultTable, Long> written = new AnalyticsSink(db, metrics).write(onePartition, 6);
      assertThat(written.get(ResultTable.CATEGORY_REVENUE)).isZero();
      assertThat(written.get(ResultTable.PAGE_VIEW_COUNTS)).isPositive();
    } finally {
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("ALTER TABLE category_revenue DROP CONSTRAINT no_books");
      }
    }
    Map<String, Long> rows = rowsPerTable();
    assertThat(rows.get("category_revenue")).isZero();
    assertThat(rows).as("the other tables are written").allSatisfy((table, n) -> {
      if (!table.equals("category_revenue")) {
        assertThat(n).as(table).isPositive();
      }
    });
    List<String> rejected = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT table_name, row_key->>'category', sql_state, query, batch_id FROM rejected_rows")) {
      while (rs.next()) {
        rejected.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4) + " " + rs.getLong(5));
      }
    }
    assertThat(rejected).containsExactly("category_revenue books 23514 analytics 6");
    assertThat(PrometheusText.parse(metrics.scrape()).value("clickstream_rejected_rows_total", "table", "category_revenue"))
        .hasValue(1);
  }
}
