package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.testkit.PostgresExtension;
import dev.clickstream.testkit.PrometheusText;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link PostgresUpsertSink} against embedded PostgreSQL, one micro-batch at a time (its {@code call} is what
 * {@code foreachBatch} runs): replays leave the same rows, a failing partition leaves none of its rows, and
 * repeated keys in one batch are written once.
 */
class PostgresUpsertSinkTest {
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
  static final StructType PAGE_VIEWS = new StructType()
      .add("window_start", DataTypes.TimestampType).add("window_end", DataTypes.TimestampType)
      .add("page_url", DataTypes.StringType).add("view_count", DataTypes.LongType);
  static final StructType SESSIONS = new StructType()
      .add("user_id", DataTypes.StringType).add("session_start", DataTypes.TimestampType)
      .add("session_end", DataTypes.TimestampType).add("duration_seconds", DataTypes.DoubleType)
      .add("event_count", DataTypes.LongType).add("page_view_count", DataTypes.LongType)
      .add("status", DataTypes.StringType).add("deleted", DataTypes.BooleanType);
  static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

  private static SparkSession spark;
  private DatabaseConfig db;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC").getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @BeforeEach
  void emptyTables() throws Exception {
    db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password());
    SchemaMigrations.migrate(db, Duration.ofSeconds(10));
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE page_view_counts, user_sessions, rejected_rows");
    }
  }

  private static Timestamp at(long minutes) {
    return Timestamp.from(T0.plusSeconds(60 * minutes));
  }

  /** 2,500 page-view rows (more than two JDBC batches of 1,000) in {@code partitions} partitions. */
  private static Dataset<Row> pageViews(long count, int partitions, String brokenPage) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      String page = i == 2_400 && brokenPage != null ? brokenPage : "/p" + i;
      rows.add(RowFactory.create(at(0), at(1), page, count + i));
    }
    return spark.createDataFrame(rows, PAGE_VIEWS).coalesce(partitions);
  }

  private Map<String, Long> pageViewRows() throws Exception {
    Map<String, Long> rows = new TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT page_url, view_count FROM page_view_counts")) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getLong(2));
      }
    }
    return rows;
  }

  @Test
  void upsertWritesAbsoluteValuesKeyedByThePrimaryKey() throws Exception {
    var method = PostgresUpsertSink.class.getDeclaredMethod("upsertSql", String.class, List.class, List.class);
    method.setAccessible(true);
    String sql = (String) method.invoke(null, "page_view_counts",
        List.of("window_start", "window_end", "page_url", "view_count"), List.of("window_start", "page_url"));
    assertThat(sql).isEqualTo("INSERT INTO page_view_counts (window_start, window_end, page_url, view_count, updated_at) "
        + "VALUES (?, ?, ?, ?, now()) ON CONFLICT (window_start, page_url) DO UPDATE SET window_end = EXCLUDED.window_end, "
        + "view_count = EXCLUDED.view_count, updated_at = now()");
  }

  @Test
  void aReplayedMicroBatchLeavesTheSameRows() throws Exception {
    PostgresUpsertSink sink = PostgresUpsertSink.forTable(db, dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS, new dev.clickstream.app.metrics.PipelineMetrics());
    sink.call(pageViews(10, 2, null), 7L);
    Map<String, Long> first = pageViewRows();
    assertThat(first).hasSize(2_500).containsEntry("/p0", 10L).containsEntry("/p2499", 2_509L);
    sink.call(pageViews(10, 2, null), 7L); // the same micro-batch again, as after a crash before Spark's commit
    assertThat(pageViewRows()).isEqualTo(first);
    sink.call(pageViews(100, 2, null), 8L); // the next one: absolute values replace, never add
    assertThat(pageViewRows()).hasSize(2_500).containsEntry("/p0", 100L);
  }

  @Test
  void aPartitionThatFailsHalfWayLeavesNoneOfItsRowsAndCountsAnError() throws Exception {
    PipelineMetrics metrics = new PipelineMetrics();
    PostgresUpsertSink sink = PostgresUpsertSink.forTable(db, dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS, metrics);
    // one partition; a trigger raises an error at row 2,400, after two JDBC batches of 1,000 were executed: not a
    // row's content (SQL state P0001), so the whole micro-batch fails
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE FUNCTION refuse_p2400() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "IF NEW.page_url = '/p2400' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$");
      s.execute("CREATE TRIGGER refuse_p2400 BEFORE INSERT ON page_view_counts FOR EACH ROW EXECUTE FUNCTION refuse_p2400()");
    }
    try {
      assertThatThrownBy(() -> sink.call(pageViews(10, 1, null), 3L))
          .hasStackTraceContaining("upsert into page_view_counts failed");
    } finally {
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("DROP TRIGGER refuse_p2400 ON page_view_counts");
        s.execute("DROP FUNCTION refuse_p2400()");
      }
    }
    assertThat(pageViewRows()).as("the partition's transaction was rolled back").isEmpty();
    PrometheusText t = PrometheusText.parse(metrics.scrape());
    assertThat(t.value("clickstream_sink_errors_total", "sink", "page_view_counts")).hasValue(1);
    assertThat(t.value("clickstream_sink_rows_total", "sink", "page_view_counts")).isEmpty();

    sink.call(pageViews(10, 1, null), 3L); // the replay after the fix
    assertThat(pageViewRows()).hasSize(2_500);
    assertThat(PrometheusText.parse(metrics.scrape()).value("clickstream_sink_rows_total", "sink", "page_view_counts"))
        .hasValue(2_500);
  }

  /**
   * A row Postgres refuses for its content (here NOT NULL, SQL state 23502, in the middle of the third JDBC batch)
   * goes to rejected_rows with its key, state and message; the partition's other rows are written, the micro-batch
   * succeeds, and its replay records the same rejection once.
   */
  @Test
  void aRowRefusedForItsContentIsRejectedAndTheRestWritten() throws Exception {
    PipelineMetrics metrics = new PipelineMetrics();
    PostgresUpsertSink sink = PostgresUpsertSink.forTable(db, dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS, metrics);
    Dataset<Row> withANull = pageViews(10, 1, null).withColumn("page_url",
        org.apache.spark.sql.functions.when(org.apache.spark.sql.functions.col("page_url").equalTo("/p2400"),
            org.apache.spark.sql.functions.lit(null).cast(DataTypes.StringType)).otherwise(org.apache.spark.sql.functions.col("page_url")));
    sink.call(withANull, 3L);
    sink.call(withANull, 3L); // the replay
    assertThat(pageViewRows()).hasSize(2_499).doesNotContainKey("/p2400").containsEntry("/p2401", 2_411L);
    List<String> rejected = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT table_name, row_key->>'page_url', row_key->>'window_start', sql_state, "
             + "message, query, batch_id FROM rejected_rows")) {
      while (rs.next()) {
        rejected.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4) + " "
            + rs.getString(6) + " " + rs.getLong(7) + " " + rs.getString(5).contains("page_url"));
      }
    }
    assertThat(rejected).containsExactly("page_view_counts null 2026-11-23T12:00Z 23502 analytics 3 true");
    PrometheusText t = PrometheusText.parse(metrics.scrape());
    assertThat(t.value("clickstream_rejected_rows_total", "table", "page_view_counts")).hasValue(2);
    assertThat(t.value("clickstream_sink_errors_total", "sink", "page_view_counts")).isEmpty();
    assertThat(t.value("clickstream_sink_rows_total", "sink", "page_view_counts")).hasValue(2 * 2_499);
  }

  @Test
  void rowsRepeatingAKeyInOneMicroBatchAreWrittenOnceTheLastWins() throws Exception {
    // two versions of one session in one micro-batch (e.g. a resent event): without collapsing them, Postgres
    // refuses the batch ("ON CONFLICT DO UPDATE command cannot affect row a second time") at every replay
    // (four rows: the JDBC driver rewrites them into one multi-row INSERT)
    List<Row> rows = List.of(
        RowFactory.create("u1", at(0), null, null, 3L, 2L, "active", false),
        RowFactory.create("u1", at(0), at(5), 300.0, 4L, 3L, "ended", false),
        RowFactory.create("u2", at(0), at(4), 240.0, 5L, 4L, "ended", false),
        RowFactory.create("u3", at(1), null, null, 1L, 1L, "active", false));
    PostgresUpsertSink.userSessions(db, new dev.clickstream.app.metrics.PipelineMetrics()).call(spark.createDataFrame(rows, SESSIONS).coalesce(1), 0L);
    List<String> written = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT user_id, event_count, status FROM user_sessions ORDER BY user_id")) {
      while (rs.next()) {
        written.add(rs.getString(1) + " " + rs.getLong(2) + " " + rs.getString(3));
      }
    }
    assertThat(written).containsExactly("u1 4 ended", "u2 5 ended", "u3 1 active");
  }
}
