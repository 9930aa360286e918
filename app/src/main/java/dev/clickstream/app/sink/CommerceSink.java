package dev.clickstream.app.sink;

import static org.apache.spark.sql.functions.col;

import dev.clickstream.app.analytics.CommerceAnalytics;
import dev.clickstream.app.analytics.CommerceAnalytics.Table;
import dev.clickstream.app.metrics.PipelineMetrics;
import java.util.EnumMap;
import java.util.Map;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.storage.StorageLevel;

/**
 * The sink of the commerce query: each micro-batch's changed rows ({@link CommerceAnalytics}, update mode) are
 * cached once and upserted into their four Postgres tables, one {@link PostgresUpsertSink} per table
 * (product_activity, category_revenue, conversion_funnel, traffic_by_segment), in that order. The rows carry
 * absolute values, so a micro-batch replayed after a crash writes the same rows again: exactly-once results. A
 * failed write fails the micro-batch (nothing is committed to the checkpoint for it); the tables written before it
 * in that micro-batch are rewritten with the same values on the replay.
 */
public final class CommerceSink implements StreamSink, VoidFunction2<Dataset<Row>, Long> {
  private final Map<Table, PostgresUpsertSink> tables = new EnumMap<>(Table.class);

  /** @param db connection settings */
  public CommerceSink(DatabaseConfig db) {
    for (Table t : Table.values()) {
      tables.put(t, new PostgresUpsertSink(db, t.tableName(), CommerceAnalytics.columnsOf(t), CommerceAnalytics.keyOf(t)));
    }
  }

  /**
   * @param metrics where rows written and failed writes go, per table ({@code clickstream_sink_rows_total{sink=
   *     "product_activity"}}, ...)
   * @return this sink
   */
  public CommerceSink reportingTo(PipelineMetrics metrics) {
    tables.values().forEach(s -> s.reportingTo(metrics));
    return this;
  }

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> rows) {
    return rows.writeStream().outputMode(OutputMode.Update()).foreachBatch(this);
  }

  /**
   * Writes one micro-batch to the four tables.
   *
   * @param batch rows of {@link CommerceAnalytics#of}
   * @param batchId the micro-batch id
   * @throws Exception what a table's write throws
   */
  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    Dataset<Row> cached = batch.persist(StorageLevel.MEMORY_AND_DISK()); // the stateful operators run once
    try {
      for (Map.Entry<Table, PostgresUpsertSink> e : tables.entrySet()) {
        Column[] columns = CommerceAnalytics.columnsOf(e.getKey()).stream().map(c -> col(c)).toArray(Column[]::new);
        e.getValue().write(cached.where(col("table").equalTo(e.getKey().tableName())).select(columns));
      }
    } finally {
      cached.unpersist(false);
    }
    FaultHook.afterWrite(batch.sparkSession(), batchId);
  }
}
