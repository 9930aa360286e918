package dev.clickstream.app.sink;

import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.contract.ResultTable;
import java.util.EnumMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;

/**
 * The sink of the {@code analytics} query: each micro-batch's changed rows ({@link WindowedAnalytics}, update
 * mode) are upserted into their Postgres tables in one pass ({@link PostgresUpsertSink#analytics}): one Spark
 * job, no cached batch, one transaction per Spark partition over every table's prepared statements, in
 * {@link ResultTable#analytics()} order, and in the same transaction the active_users windows that hold the minute sketches it wrote
 * ({@link ActiveUsersFromMinutes}). The rows carry absolute values, so a micro-batch replayed after a crash writes the same rows
 * again: exactly-once results. A failed write fails the micro-batch (nothing is committed to the checkpoint for
 * it); the partitions written before it in that micro-batch are rewritten with the same values on the replay.
 */
public final class AnalyticsSink implements ForeachBatchSink {
  private final PostgresUpsertSink tables;

  /**
   * @param db connection settings
   * @param metrics where rows written and failed writes go, per table ({@code clickstream_sink_rows_total{sink=
   *     "page_view_counts"}}, ...)
   */
  public AnalyticsSink(DatabaseConfig db, PipelineMetrics metrics) {
    tables = PostgresUpsertSink.analytics(db, metrics);
  }

  @Override
  public DataStreamWriter<Row> stream(Dataset<Row> rows) {
    return rows.writeStream().outputMode(OutputMode.Update());
  }

  /**
   * Writes one micro-batch to the tables.
   *
   * @param batch rows of {@link WindowedAnalytics#of}
   * @param batchId the micro-batch id
   * @throws Exception what a partition's write throws
   */
  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    write(batch, batchId);
  }

  /**
   * Upserts rows of the tables (a streaming micro-batch, or a recompute's batch result) in one pass, deriving
   * active_users.
   *
   * @param rows rows of {@link WindowedAnalytics#of}
   * @param batchId the micro-batch id, or {@link PostgresUpsertSink#RECOMPUTE_BATCH} (rejected rows are recorded
   *     under it)
   * @return rows upserted per table (active_users: windows derived)
   * @throws Exception what a partition's write throws
   */
  public Map<ResultTable, Long> write(Dataset<Row> rows, long batchId) throws Exception {
    Map<String, Long> byName = tables.writeAll(rows, batchId);
    Map<ResultTable, Long> written = new EnumMap<>(ResultTable.class);
    for (ResultTable t : ResultTable.analytics()) {
      written.put(t, byName.getOrDefault(t.tableName(), 0L));
    }
    return written;
  }
}
