package dev.clickstream.app.sink;

import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.ResultTable;
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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.LoggerFactory;

/**
 * Upserts a streaming aggregate into Postgres tables from {@code foreachBatch}, in update output mode: one table, or
 * several from one result ({@link #analytics}: the rows name their table in a column, and every table of a
 * micro-batch is written in one pass: one Spark job, one transaction per Spark partition over every table's
 * prepared statements).
 *
 * <p>Each micro-batch's changed rows are written as {@code INSERT ... ON CONFLICT (key) DO UPDATE SET ...} with
 * the rows' absolute values (never increments) and {@code updated_at = now()}: JDBC batches of
 * {@value #BATCH_SIZE}, one transaction per Spark partition. When a crash makes Spark replay a micro-batch, the
 * same statements leave the same rows, which makes the results exactly once (Structured Streaming guide,
 * "foreachBatch": idempotent writes keyed by the batch's content). A transient error (Postgres restarting, a
 * lost connection) makes the partition's whole transaction run again with backoff for up to DB_RETRY_TIMEOUT
 * ({@link PostgresRetry}); a transient error still failing after that, or any error that is not about a row's
 * content (a permission, a missing table), fails the micro-batch and so the query; nothing is committed to the
 * checkpoint for it.
 *
 * <p>A row that Postgres refuses for its content (SQL state classes 22, data exception, and 23, integrity
 * constraint violation: a value the contract let through but a column or a constraint added by hand does not
 * take) must not stop the pipeline, nor be replayed for ever: the partition's rows are then written one by one,
 * each under a savepoint, in one transaction; the refused ones go to {@code rejected_rows} (table_name, row_key
 * jsonb, sql_state, message, query, batch_id, rejected_at; idempotent on (table_name, row_key, batch_id)), are
 * counted in {@code clickstream_rejected_rows_total{table}}, and the rest is written.
 *
 * <p>Rows that repeat a key of a table within a micro-batch are collapsed to the last one before writing (a
 * multi-row INSERT may not update one row twice), so a batch is written whatever its input.
 */
public final class PostgresUpsertSink implements ForeachBatchSink {
  /** Rows per JDBC batch (architecture §8: batches of 1000 reach ~140-160k rows/s here). */
  public static final int BATCH_SIZE = 1000;

  /** The longest error message kept in rejected_rows, characters; a longer one is cut. */
  static final int MAX_MESSAGE_CHARS = 1000;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * One table a sink writes, with its statements built once.
   *
   * @param table table name
   * @param columns the rows' columns written to same-named table columns, in this order
   * @param keyColumns the primary key, a subset of {@code columns}
   * @param deleteFlag a boolean column: rows where it is true are deleted by key instead of upserted (in the same
   *     transaction); null for none
   * @param upsert its {@code INSERT ... ON CONFLICT DO UPDATE} ({@link #upsertSql})
   * @param delete its {@code DELETE ... WHERE <key> = ?}
   * @param derivation null for a table written from the rows routed to it; else how its rows are derived from the
   *     rows written to the other targets, in the same transaction, after them (no row is routed to it)
   */
  public record Target(String table, List<String> columns, List<String> keyColumns, String deleteFlag, String upsert,
      String delete, Derivation derivation) implements java.io.Serializable {
    /**
     * @param table a result table: its name, {@link ResultTable#columns()} and {@link ResultTable#key()}
     * @param deleteFlag the deletion flag column of the rows, or null
     * @return the target writing it
     */
    public static Target of(ResultTable table, String deleteFlag) {
      String name = table.tableName();
      return new Target(name, table.columns(), table.key(), deleteFlag, upsertSql(name, table.columns(), table.key()),
          "DELETE FROM " + name + " WHERE " + table.key().stream().map(c -> c + " = ?").collect(Collectors.joining(" AND ")),
          null);
    }

    /** @return this target, its rows derived by {@code how} instead of routed to it */
    public Target derivedBy(Derivation how) {
      return new Target(table, columns, keyColumns, deleteFlag, upsert, delete, how);
    }

    /** @return whether the row is to be deleted by key ({@code deleteFlag} true) rather than upserted */
    boolean isDeletion(Row row) {
      return deleteFlag != null && Boolean.TRUE.equals(row.getAs(deleteFlag));
    }

    List<Object> key(Row row) {
      return keyColumns.stream().map(c -> row.<Object>getAs(c)).toList();
    }
  }

  private final DatabaseConfig db;
  private final List<Target> targets;
  /** The column naming each row's target table; null when there is one target. */
  private final String route;
  private final Query query;
  /** Driver-side only: executors get the sink without it (it is transient). */
  private final transient PipelineMetrics metrics;

  /**
   * @param db connection settings
   * @param targets the tables written, in the order each transaction writes them
   * @param route with several targets, the string column that names each row's table (a row naming none of
   *     them is an error); null with one target
   * @param query the query that writes (rejected_rows' {@code query} column: its name)
   * @param metrics where rows written, rows rejected and failed micro-batches go, per table
   * @throws IllegalArgumentException for several targets without a route column
   */
  public PostgresUpsertSink(DatabaseConfig db, List<Target> targets, String route, Query query, PipelineMetrics metrics) {
    if (targets.isEmpty() || (targets.size() > 1 && route == null)) {
      throw new IllegalArgumentException("one target, or several and the column that routes rows to them");
    }
    this.db = db;
    this.metrics = metrics;
    this.targets = List.copyOf(targets);
    this.route = route;
    this.query = query;
  }

  /**
   * @param db connection settings
   * @param metrics where each table's rows and failures are counted
   * @return the sink of the {@code analytics} query: the rows of {@link WindowedAnalytics#of}, each written to the
   *     table its {@code table} column names, with that table's {@link ResultTable#columns()} and key;
   *     active_users derived from the minute sketches written ({@link ActiveUsersFromMinutes})
   */
  public static PostgresUpsertSink analytics(DatabaseConfig db, PipelineMetrics metrics) {
    List<Target> all = ResultTable.analytics().stream().map(t -> {
      Target target = Target.of(t, null);
      return t == ResultTable.ACTIVE_USERS ? target.derivedBy(new ActiveUsersFromMinutes()) : target;
    }).toList();
    return new PostgresUpsertSink(db, all, "table", Query.ANALYTICS, metrics);
  }

  /**
   * @param db connection settings
   * @param table one of the windowed tables
   * @param metrics where its rows and failures are counted
   * @return the sink of that table alone: its {@link ResultTable#columns()}, keyed by its primary key
   */
  public static PostgresUpsertSink forTable(DatabaseConfig db, ResultTable table, PipelineMetrics metrics) {
    return new PostgresUpsertSink(db, List.of(Target.of(table, null)), null, table.writtenBy().orElseThrow(), metrics);
  }

  /**
   * @param db connection settings
   * @param metrics where its rows and failures are counted
   * @return the sink of {@code user_sessions} (user_id, session_start, session_end, duration_seconds, event_count,
   *     page_view_count, status), key (user_id, session_start); rows with {@code deleted} = true are deleted
   */
  public static PostgresUpsertSink userSessions(DatabaseConfig db, PipelineMetrics metrics) {
    return new PostgresUpsertSink(db, List.of(Target.of(ResultTable.USER_SESSIONS, "deleted")), null, Query.USER_SESSIONS,
        metrics);
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
  public DataStreamWriter<Row> stream(Dataset<Row> rows) {
    return rows.writeStream().outputMode(OutputMode.Update());
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
    write(batch, batchId);
  }

  /** The batch id a recompute's rows are rejected under (rejected_rows.batch_id; micro-batches count from 0). */
  public static final long RECOMPUTE_BATCH = -1;

  /**
   * Upserts rows (an action), counting them in the metrics.
   *
   * @param rows rows with at least this sink's columns
   * @param batchId the micro-batch id, or {@link #RECOMPUTE_BATCH}: rejected_rows' {@code batch_id}
   * @return rows upserted or deleted (rejected ones not included)
   * @throws Exception Spark's job failure when a partition's write fails (its transaction rolled back)
   */
  public long write(Dataset<Row> rows, long batchId) throws Exception {
    return writeAll(rows, batchId).values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * Upserts rows in one pass (one Spark job; one transaction per partition over every table), counting them per
   * table in the metrics.
   *
   * @param rows rows with at least every target's columns (and the route column)
   * @param batchId the micro-batch id, or {@link #RECOMPUTE_BATCH}: rejected_rows' {@code batch_id}
   * @return per table, in target order: rows upserted or deleted (rejected ones not included)
   * @throws Exception Spark's job failure when a partition's write fails (its transaction rolled back); then every
   *     table's {@code clickstream_sink_errors_total} counts it, none of them having been written by that partition
   */
  public java.util.Map<String, Long> writeAll(Dataset<Row> rows, long batchId) throws Exception {
    // rows are written by the tasks; accumulators bring their counts back to the driver (successful tasks only)
    List<LongAccumulator> written = new java.util.ArrayList<>();
    List<LongAccumulator> rejected = new java.util.ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      written.add(rows.sparkSession().sparkContext().longAccumulator());
      rejected.add(rows.sparkSession().sparkContext().longAccumulator());
    }
    try {
      rows.foreachPartition((ForeachPartitionFunction<Row>) part -> {
        long[][] counts = writePartition(part, batchId);
        for (int i = 0; i < counts.length; i++) {
          written.get(i).add(counts[i][0]);
          rejected.get(i).add(counts[i][1]);
        }
      });
    } catch (Exception e) {
      targets.forEach(t -> metrics.sinkError(t.table()));
      throw e;
    }
    java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < targets.size(); i++) {
      String table = targets.get(i).table();
      metrics.sinkRows(table, written.get(i).value());
      metrics.rejectedRows(table, rejected.get(i).value());
      out.put(table, written.get(i).value());
    }
    return out;
  }

  /** @return per target, {rows upserted or deleted, rows rejected} */
  private long[][] writePartition(Iterator<Row> rows, long batchId) throws SQLException {
    if (!rows.hasNext()) {
      return new long[targets.size()][2];
    }
    List<java.util.Collection<Row>> unique = lastRowPerKey(rows); // in memory: a retry writes them again
    return PostgresRetry.run(db, () -> writeTransaction(unique, batchId, NO_PRELUDE));
  }

  /**
   * @param e what a write threw
   * @return whether Postgres refused a row for its content: SQL state class 22 (data exception) or 23 (integrity
   *     constraint violation), PostgreSQL manual, Appendix A
   */
  static boolean refusedForContent(SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      String state = s.getSQLState();
      if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Statements that run first in a write's transaction, e.g. the deletions that the rows replace; run again if the
   * transaction is rolled back and retried.
   */
  @FunctionalInterface
  public interface Prelude {
    /**
     * @param connection the transaction's connection (auto-commit off)
     * @throws SQLException to roll the whole transaction back
     */
    void run(Connection connection) throws SQLException;
  }

  private static final Prelude NO_PRELUDE = c -> { };

  /**
   * How a derived target's rows follow from the rows just written to the others, e.g. the active_users windows from
   * the minute sketches ({@link ActiveUsersFromMinutes}). Runs on an executor, in the partition's transaction, after
   * every routed target is written (so it reads them back), and again if the transaction is retried.
   */
  @FunctionalInterface
  public interface Derivation extends java.io.Serializable {
    /**
     * @param connection the transaction's connection (auto-commit off)
     * @param target the derived target (its {@link Target#upsert()} statement and columns)
     * @param written per table name, the rows this transaction wrote (one per key)
     * @return rows of the derived table upserted
     * @throws SQLException to roll the whole transaction back
     */
    long derive(Connection connection, Target target, java.util.Map<String, java.util.Collection<Row>> written)
        throws SQLException;
  }

  /**
   * On the driver, in one transaction: {@code prelude}, then every row upserted (or deleted by its flag). Nothing is
   * half done: a failure rolls back the prelude too (used by the recompute to delete the sessions it rewrites and
   * insert their replacements together). Transient failures are retried ({@link PostgresRetry}).
   *
   * @param rows rows with at least this sink's columns, one per key (the last of a key counts)
   * @param prelude the transaction's first statements
   * @param batchId {@link #RECOMPUTE_BATCH} or a micro-batch id: rejected_rows' {@code batch_id}
   * @return rows upserted or deleted (rejected ones not included)
   * @throws SQLException when the transaction fails for good (rolled back)
   */
  public long replace(List<Row> rows, Prelude prelude, long batchId) throws SQLException {
    List<java.util.Collection<Row>> unique = lastRowPerKey(rows.iterator());
    long[][] counts = PostgresRetry.run(db, () -> writeTransaction(unique, batchId, prelude));
    long written = 0;
    for (int i = 0; i < targets.size(); i++) {
      metrics.rejectedRows(targets.get(i).table(), counts[i][1]);
      written += counts[i][0];
    }
    return written;
  }

  /**
   * One transaction: {@code prelude}, then every row of every target (upserts in JDBC batches, then deletions), or
   * none; when Postgres refuses a row for its content, the rows again one by one ({@link #writeRowByRow}).
   *
   * @param rows per target, its rows, one per key
   * @return per target, {rows upserted or deleted, rows rejected}
   */
  private long[][] writeTransaction(List<java.util.Collection<Row>> rows, long batchId, Prelude prelude) throws SQLException {
    long[][] counts = new long[targets.size()][2];
    try (Connection connection = db.connect()) {
      connection.setAutoCommit(false);
      try {
        prelude.run(connection);
        for (int i = 0; i < targets.size(); i++) {
          if (!rows.get(i).isEmpty()) {
            counts[i][0] = writeBatched(connection, targets.get(i), rows.get(i));
          }
        }
        derive(connection, rows, counts);
        connection.commit();
        return counts;
      } catch (SQLException e) {
        SQLException failed = new SQLException("upsert into " + tableNames(rows) + " failed: " + e.getMessage(),
            e.getSQLState(), e);
        try {
          connection.rollback();
        } catch (SQLException lost) { // the connection is gone: the server rolls the transaction back itself
          failed.addSuppressed(lost);
          throw failed;
        }
        if (refusedForContent(e)) {
          return writeRowByRow(connection, rows, batchId, prelude);
        }
        throw failed;
      } finally {
        try {
          connection.setAutoCommit(true); // back to the pool as it came
        } catch (SQLException lost) { // a broken connection: the pool discards it
          LoggerFactory.getLogger(PostgresUpsertSink.class).debug("connection lost: {}", lost.toString());
        }
      }
    }
  }

  /** @return the names of the tables that have rows, for a message: {@code page_view_counts, active_users} */
  private String tableNames(List<java.util.Collection<Row>> rows) {
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      if (!rows.get(i).isEmpty()) {
        names.add(targets.get(i).table());
      }
    }
    return names.isEmpty() ? targets.get(0).table() : String.join(", ", names);
  }

  /** One target's rows in the open transaction: upserts in JDBC batches, then the deletions; returns their count. */
  private static long writeBatched(Connection connection, Target target, java.util.Collection<Row> rows)
      throws SQLException {
    long written = 0;
    try (PreparedStatement statement = connection.prepareStatement(target.upsert());
         PreparedStatement delete = connection.prepareStatement(target.delete())) {
      int pending = 0;
      List<Row> deletions = new java.util.ArrayList<>();
      for (Row row : rows) {
        if (target.isDeletion(row)) {
          deletions.add(row);
          continue;
        }
        bind(statement, target.columns(), row);
        statement.addBatch();
        written++;
        if (++pending == BATCH_SIZE) {
          statement.executeBatch();
          pending = 0;
        }
      }
      if (pending > 0) {
        statement.executeBatch();
      }
      for (Row row : deletions) {
        bind(delete, target.keyColumns(), row);
        delete.addBatch();
        written++;
      }
      if (!deletions.isEmpty()) {
        delete.executeBatch();
      }
    }
    return written;
  }

  /**
   * One transaction, each row under a savepoint: a row refused for its content is rolled back to its savepoint and
   * recorded in rejected_rows, the others are written.
   *
   * @return per target, {rows upserted or deleted, rows rejected}
   * @throws SQLException any other error (the transaction rolled back by the caller's retry or failure)
   */
  private long[][] writeRowByRow(Connection connection, List<java.util.Collection<Row>> rows, long batchId, Prelude prelude)
      throws SQLException {
    long[][] counts = new long[targets.size()][2];
    prelude.run(connection);
    List<String[]> rejected = new java.util.ArrayList<>(); // {table, row_key json, sql_state, message}
    for (int i = 0; i < targets.size(); i++) {
      Target target = targets.get(i);
      if (rows.get(i).isEmpty()) {
        continue;
      }
      try (PreparedStatement statement = connection.prepareStatement(target.upsert());
           PreparedStatement delete = connection.prepareStatement(target.delete())) {
        for (Row row : rows.get(i)) {
          boolean deletion = target.isDeletion(row);
          PreparedStatement one = deletion ? delete : statement;
          bind(one, deletion ? target.keyColumns() : target.columns(), row);
          java.sql.Savepoint savepoint = connection.setSavepoint();
          try {
            one.executeUpdate();
            connection.releaseSavepoint(savepoint);
            counts[i][0]++;
          } catch (SQLException e) {
            if (!refusedForContent(e)) {
              throw e;
            }
            connection.rollback(savepoint);
            String message = e.getMessage() == null ? "" : e.getMessage();
            rejected.add(new String[] {target.table(), rowKey(target, row), e.getSQLState(),
                message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "..." : message});
            counts[i][1]++;
          }
        }
      }
    }
    if (!rejected.isEmpty()) {
      try (PreparedStatement reject = connection.prepareStatement("INSERT INTO " + ResultTable.REJECTED_ROWS + " (table_name, row_key, "
          + "sql_state, message, query, batch_id) VALUES (?, ?::jsonb, ?, ?, ?, ?) ON CONFLICT (table_name, row_key, "
          + "batch_id) DO UPDATE SET sql_state = EXCLUDED.sql_state, message = EXCLUDED.message, "
          + "query = EXCLUDED.query, rejected_at = now()")) {
        for (String[] r : rejected) {
          reject.setString(1, r[0]);
          reject.setString(2, r[1]);
          reject.setString(3, r[2]);
          reject.setString(4, r[3]);
          reject.setString(5, batchId == RECOMPUTE_BATCH ? "recompute" : query.queryName());
          reject.setLong(6, batchId);
          reject.addBatch();
        }
        reject.executeBatch();
      }
    }
    derive(connection, rows, counts);
    connection.commit();
    return counts;
  }

  /** Runs every derived target's {@link Derivation} in the open transaction, adding its rows to {@code counts}. */
  private void derive(Connection connection, List<java.util.Collection<Row>> rows, long[][] counts) throws SQLException {
    java.util.Map<String, java.util.Collection<Row>> written = null;
    for (int i = 0; i < targets.size(); i++) {
      Target target = targets.get(i);
      if (target.derivation() == null) {
        continue;
      }
      if (written == null) {
        written = new java.util.HashMap<>();
        for (int j = 0; j < targets.size(); j++) {
          written.put(targets.get(j).table(), rows.get(j));
        }
      }
      counts[i][0] += target.derivation().derive(connection, target, written);
    }
  }

  /** Sets the statement's parameters 1..n to the row's values of {@code bound}, in order. */
  private static void bind(PreparedStatement statement, List<String> bound, Row row) throws SQLException {
    for (int i = 0; i < bound.size(); i++) {
      statement.setObject(i + 1, jdbcValue(row.getAs(bound.get(i))));
    }
  }

  /** @return the row's primary key as a JSON object, e.g. {@code {"window_start":"2026-11-23T12:00:00Z","page_url":"/"}} */
  private static String rowKey(Target target, Row row) {
    var key = JSON.createObjectNode();
    for (String c : target.keyColumns()) {
      Object v = jdbcValue(row.getAs(c));
      key.put(c, v == null ? null : v.toString());
    }
    return key.toString();
  }

  /**
   * Routes each row to its target and keeps one row per primary key, the last of each: an {@code INSERT ... ON
   * CONFLICT DO UPDATE} that meets one key twice in a statement fails ("command cannot affect row a second time",
   * and the JDBC driver rewrites a batch into multi-row statements), and then every replay of the micro-batch fails
   * alike. Rows of one key are in one partition (a stateful operator's output is partitioned by its key) in the
   * order the operator emitted them, so the last is the newest.
   *
   * @param rows one partition of a micro-batch
   * @return per target (in target order), its rows, one per key, in first-seen order of the keys
   * @throws IllegalArgumentException for a row whose route column names no target
   */
  List<java.util.Collection<Row>> lastRowPerKey(Iterator<Row> rows) {
    List<java.util.Map<List<Object>, Row>> byKey = new java.util.ArrayList<>();
    java.util.Map<String, Integer> index = new java.util.HashMap<>();
    for (int i = 0; i < targets.size(); i++) {
      byKey.add(new java.util.LinkedHashMap<>());
      index.put(targets.get(i).table(), i);
    }
    while (rows.hasNext()) {
      Row row = rows.next();
      int i = 0;
      if (route != null) {
        Integer routed = index.get(row.<String>getAs(route));
        if (routed == null) {
          throw new IllegalArgumentException("a row for no table of this sink: " + route + " = " + row.getAs(route));
        }
        i = routed;
      }
      byKey.get(i).put(targets.get(i).key(row), row);
    }
    List<java.util.Collection<Row>> out = new java.util.ArrayList<>();
    byKey.forEach(m -> out.add(m.values()));
    return out;
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
