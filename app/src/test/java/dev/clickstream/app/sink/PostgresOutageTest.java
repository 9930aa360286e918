package dev.clickstream.app.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.testkit.PostgresExtension;
import dev.clickstream.testkit.PrometheusText;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link PostgresUpsertSink} while its database is away: the server (a dedicated embedded PostgreSQL) is stopped
 * and restarted on the same data directory and port, as a Postgres pod restart would be.
 */
class PostgresOutageTest {
  @RegisterExtension static final PostgresExtension PG = PostgresExtension.dedicated();
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() throws Exception {
    spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC").getOrCreate();
    SchemaMigrations.migrate(new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password()), Duration.ofSeconds(10));
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @AfterEach
  void databaseIsBack() {
    PG.server().restart();
  }

  private static Dataset<Row> pageViews(long count) {
    List<Row> rows = new ArrayList<>();
    Timestamp start = Timestamp.from(Instant.parse("2026-11-23T12:00:00Z"));
    Timestamp end = Timestamp.from(Instant.parse("2026-11-23T12:01:00Z"));
    for (int i = 0; i < 1_500; i++) {
      rows.add(RowFactory.create(start, end, "/p" + i, count));
    }
    return spark.createDataFrame(rows, PostgresUpsertSinkTest.PAGE_VIEWS).coalesce(2);
  }

  private static long sumOfCounts(DatabaseConfig db) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*), coalesce(sum(view_count), 0) FROM page_view_counts")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1_500);
      return rs.getLong(2);
    }
  }

  @Test
  void aMicroBatchWrittenDuringAnOutageCompletesWhenPostgresIsBack() throws Exception {
    DatabaseConfig db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password(), Duration.ofMinutes(2));
    PipelineMetrics metrics = new PipelineMetrics();
    PostgresUpsertSink sink = PostgresUpsertSink.forTable(db, dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS, metrics);
    sink.call(pageViews(1), 0L);

    PG.server().stop();
    CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
      try {
        sink.call(pageViews(2), 1L);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(4_000); // several refused attempts (0.5 s, 1 s, 2 s backoff)
    assertThat(write).as("still retrying while Postgres is down").isNotDone();
    PG.server().restart();
    write.get(60, TimeUnit.SECONDS);

    assertThat(sumOfCounts(db)).as("every row of the second micro-batch, once").isEqualTo(2 * 1_500);
    PrometheusText t = PrometheusText.parse(metrics.scrape());
    assertThat(t.value("clickstream_sink_errors_total", "sink", "page_view_counts").orElse(0)).as("no failed write").isZero();
    assertThat(t.value("clickstream_sink_rows_total", "sink", "page_view_counts")).hasValue(2 * 1_500);
  }

  @Test
  void anOutageLongerThanTheRetryTimeoutFailsTheMicroBatchNamingTheDatabase() throws Exception {
    DatabaseConfig db = new DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password(), Duration.ofSeconds(3));
    PostgresUpsertSink sink = PostgresUpsertSink.forTable(db, dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS, new dev.clickstream.app.metrics.PipelineMetrics());
    PG.server().stop();
    long started = System.nanoTime();
    assertThatThrownBy(() -> sink.call(pageViews(3), 2L))
        .rootCause().isInstanceOf(SQLException.class)
        .hasMessageStartingWith("postgres at " + PG.jdbcUrl() + " unreachable for 3 s (DB_RETRY_TIMEOUT): ");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("it did retry").isGreaterThanOrEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void transientAndFatalErrorsAreToldApartBySqlState() {
    assertThat(PostgresRetry.isTransient(new SQLException("refused", "08001"))).isTrue();
    assertThat(PostgresRetry.isTransient(new SQLException("terminating connection", "57P01"))).isTrue();
    assertThat(PostgresRetry.isTransient(new SQLException("the database system is starting up", "57P03"))).isTrue();
    assertThat(PostgresRetry.isTransient(new SQLException("wrapped", "08006", new java.net.SocketException("reset")))).isTrue();
    assertThat(PostgresRetry.isTransient(new SQLException("no state", null, new java.io.EOFException()))).isTrue();
    for (String state : new String[] {"53300", "40001", "40P01", "57014"}) { // too many connections, serialization,
      assertThat(PostgresRetry.isTransient(new SQLException("retry me", state))).as(state).isTrue(); // deadlock, cancel
    }
    assertThat(PostgresRetry.isTransient(new java.sql.SQLTransientConnectionException("pool timed out"))).isTrue();
    assertThat(PostgresUpsertSink.refusedForContent(new SQLException("numeric field overflow", "22003"))).isTrue();
    assertThat(PostgresUpsertSink.refusedForContent(new SQLException("check violation", "23514"))).isTrue();
    assertThat(PostgresUpsertSink.refusedForContent(new SQLException("permission denied", "42501"))).isFalse();
    assertThat(PostgresRetry.isTransient(new SQLException("null value violates not-null constraint", "23502"))).isFalse();
    assertThat(PostgresRetry.isTransient(new SQLException("permission denied", "42501"))).isFalse();
    assertThat(PostgresRetry.isTransient(new IllegalStateException("ours"))).isFalse();
  }
}
