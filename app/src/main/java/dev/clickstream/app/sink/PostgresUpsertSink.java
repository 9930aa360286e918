package dev.clickstream.app.sink;

import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.metrics.PipelineMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.util.LongAccumulator;

/**
 * Upserts a streaming aggregate into a Postgres table from {@code foreachBatch}, in update output mode.
 *
 * <p>Each micro-batch's changed rows are written as {@code INSERT ... ON CONFLICT (key) DO UPDATE SET ...} with
 * the rows' absolute values (never increments) and {@code updated_at = now()}: JDBC batches of
 * {@value #BATCH_SIZE}, one transaction per Spark partition. When a crash makes Spark replay a micro-batch, the
 * same statements leave the same rows, which makes the results exactly once (Structured Streaming guide,
 * "foreachBatch": idempotent writes keyed by the batch's content). A transient error (Postgres restarting, a
 * lost connection) makes the partition's whole transaction run again with backoff for up to DB_RETRY_TIMEOUT
 * ({@link PostgresRetry}); any other failed write, or one still failing after that, fails the micro-batch and so
 * the query; nothing is committed to the checkpoint for it.
 *
 * <p>Rows that repeat a key within a micro-batch are collapsed to the last one before writing (a multi-row
 * INSERT may not update one row twice), so a batch is written whatever its input.
 */
public final class PostgresUpsertSink implements StreamSink, VoidFunction2<Dataset<Row>, Long> {
  /** Rows per JDBC batch (DESIGN §8: batches of 1000 reach ~140-160k rows/s here). */
  public static final int BATCH_SIZE = 1000;

  private final DatabaseConfig db;
  private final String table;
  private final List<String> columns;
  private final List<String> keyColumns;
  private final String sql;
  private final String deleteFlag;
  private final String deleteSql;
  /** Driver-side only: executors get the sink without it (it is transient). */
  private transient PipelineMetrics metrics = PipelineMetrics.UNREAD;

  /**
   * @param db connection settings
   * @param table table name
   * @param columns the rows' columns, written to same-named table columns, in this order
   * @param keyColumns the primary key, a subset of {@code columns}
   */
  public PostgresUpsertSink(DatabaseConfig db, String table, List<String> columns, List<String> keyColumns) {
    this(db, table, columns, keyColumns, null);
  }

  /**
   * @param db connection settings
   * @param table table name
   * @param columns the rows' columns, written to same-named table columns, in this order
   * @param keyColumns the primary key, a subset of {@code columns}
   * @param deleteFlag a boolean column: rows where it is true are deleted by key instead of upserted (in the
   *     same transaction); null for none
   */
  public PostgresUpsertSink(DatabaseConfig db, String table, List<String> columns, List<String> keyColumns, String deleteFlag) {
    this.db = db;
    this.table = table;
    this.columns = List.copyOf(columns);
    this.keyColumns = List.copyOf(keyColumns);
    this.sql = upsertSql(table, columns, keyColumns);
    this.deleteFlag = deleteFlag;
    this.deleteSql = "DELETE FROM " + table + " WHERE "
        + keyColumns.stream().map(c -> c + " = ?").collect(Collectors.joining(" AND "));
  }

  /**
   * @param db connection settings
   * @param table one of the windowed tables
   * @return the sink of that table: its {@link WindowedAnalytics.Table#columns()}, keyed by its primary key
   */
  public static PostgresUpsertSink forTable(DatabaseConfig db, WindowedAnalytics.Table table) {
    return new PostgresUpsertSink(db, table.tableName(), table.columns(), table.key());
  }

  /**
   * @param db connection settings
   * @return the sink of {@code user_sessions} (user_id, session_start, session_end, duration_seconds, event_count,
   *     page_view_count, status), key (user_id, session_start); rows with {@code deleted} = true are deleted
   */
  public static PostgresUpsertSink userSessions(DatabaseConfig db) {
    return new PostgresUpsertSink(db, "user_sessions",
        List.of("user_id", "session_start", "session_end", "duration_seconds", "event_count", "page_view_count", "status"),
        List.of("user_id", "session_start"), "deleted");
  }

  /**
   * @param metrics where rows written ({@code clickstream_sink_rows_total{sink=<table>}}, upserts and deletions)
   *     and failed micro-batches ({@code clickstream_sink_errors_total}) go (by default a registry nobody reads)
   * @return this sink
   */
  public PostgresUpsertSink reportingTo(PipelineMetrics metrics) {
    this.metrics = metrics;
    return this;
  }

  /**
   * @param table table name
   * @param columns columns in order
   * @param keyColumns conflict target
   * @return the statement with one {@code ?} per column
   */
  static String upsertSql(String table, List<String> columns, List<String> keyColumns) {
    String updates = columns.stream().filter(c -> !keyColumns.contains(c))
        .map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
    return "INSERT INTO " + table + " (" + String.join(", ", columns) + ", updated_at) VALUES ("
        + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ", now()) ON CONFLICT ("
        + String.join(", ", keyColumns) + ") DO UPDATE SET " + updates + ", updated_at = now()";
  }

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> rows) {
    return rows.writeStream().outputMode(OutputMode.Update()).foreachBatch(this);
  }

  /**
   * Writes one micro-batch (an action: it also runs the stateful operators upstream).
   *
   * @param batch the rows that changed in this micro-batch
   * @param batchId the micro-batch id (not needed: the writes are idempotent)
   * @throws Exception Spark's job failure when a partition's write fails (its transaction rolled back)
   */
  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    write(batch);
    FaultHook.afterWrite(batch.sparkSession(), batchId);
  }

  /**
   * Upserts rows (an action), counting them in the metrics.
   *
   * @param rows rows with at least this sink's columns
   * @return rows upserted or deleted
   * @throws Exception Spark's job failure when a partition's write fails (its transaction rolled back)
   */
  public long write(Dataset<Row> rows) throws Exception {
    // rows are written by the tasks; an accumulator brings their count back to the driver (successful tasks only)
    LongAccumulator written = rows.sparkSession().sparkContext().longAccumulator();
    metrics.countWrite(table, () -> {
      rows.foreachPartition((ForeachPartitionFunction<Row>) part -> written.add(writePartition(part)));
      return written.value();
    });
    return written.value();
  }

  /** @return rows upserted or deleted */
  private long writePartition(Iterator<Row> rows) throws SQLException {
    if (!rows.hasNext()) {
      return 0;
    }
    java.util.Collection<Row> unique = lastRowPerKey(rows); // in memory: a retry writes them again
    return PostgresRetry.run(db, () -> writeTransaction(unique));
  }

  /** One transaction: every row of the partition, or none. */
  private long writeTransaction(java.util.Collection<Row> rows) throws SQLException {
    long written = 0;
    try (Connection connection = db.connect()) {
      connection.setAutoCommit(false);
      try (PreparedStatement statement = connection.prepareStatement(sql);
           PreparedStatement delete = connection.prepareStatement(deleteSql)) {
        int pending = 0;
        List<Row> deletions = new java.util.ArrayList<>();
        for (Row row : rows) {
          if (deleteFlag != null && Boolean.TRUE.equals(row.getAs(deleteFlag))) {
            deletions.add(row);
            continue;
          }
          for (int i = 0; i < columns.size(); i++) {
            statement.setObject(i + 1, jdbcValue(row.getAs(columns.get(i))));
          }
          statement.addBatch();
          written++;
          if (++pending == BATCH_SIZE) {
            statement.executeBatch();
            pending = 0;
          }
        }
        for (Row row : deletions) {
          for (int i = 0; i < keyColumns.size(); i++) {
            delete.setObject(i + 1, jdbcValue(row.getAs(keyColumns.get(i))));
          }
          delete.addBatch();
          written++;
        }
        if (!deletions.isEmpty()) {
          delete.executeBatch();
        }
        if (pending > 0) {
          statement.executeBatch();
        }
        connection.commit();
        return written;
      } catch (SQLException e) {
        SQLException failed = new SQLException("upsert into " + table + " failed: " + e.getMessage(), e.getSQLState(), e);
        try {
          connection.rollback();
        } catch (SQLException lost) { // the connection is gone: the server rolls the transaction back itself
          failed.addSuppressed(lost);
        }
        throw failed;
      }
    }
  }

  /**
   * One row per primary key, the last of each: an {@code INSERT ... ON CONFLICT DO UPDATE} that meets one key
   * twice in a statement fails ("command cannot affect row a second time", and the JDBC driver rewrites a batch
   * into multi-row statements), and then every replay of the micro-batch fails alike. Rows of one key are in one
   * partition (a stateful operator's output is partitioned by its key) in the order the operator emitted them,
   * so the last is the newest.
   *
   * @param rows one partition of a micro-batch
   * @return its rows, one per key, in first-seen order of the keys
   */
  java.util.Collection<Row> lastRowPerKey(Iterator<Row> rows) {
    java.util.Map<List<Object>, Row> byKey = new java.util.LinkedHashMap<>();
    while (rows.hasNext()) {
      Row row = rows.next();
      byKey.put(keyColumns.stream().map(c -> row.<Object>getAs(c)).toList(), row);
    }
    return byKey.values();
  }

  /** Timestamps go as UTC OffsetDateTime, which the driver binds to timestamptz without zone guessing. */
  private static Object jdbcValue(Object value) {
    if (value instanceof Timestamp ts) {
      return ts.toInstant().atOffset(ZoneOffset.UTC);
    }
    if (value instanceof Instant instant) {
      return instant.atOffset(ZoneOffset.UTC);
    }
    return value;
  }
}
