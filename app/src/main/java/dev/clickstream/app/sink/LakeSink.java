package dev.clickstream.app.sink;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.source.EventParser;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/**
 * The sink of the {@code lake} query (architecture §4): each micro-batch of valid events is one Delta commit to the lake
 * table ({@link LakeTable#append}), made idempotent with {@code txnAppId} = the query's id (kept in its checkpoint)
 * and {@code txnVersion} = the batch id, so a micro-batch replayed after a crash is skipped by Delta and every
 * reader of the table sees each event exactly once.
 *
 * <p>Rows written are counted with an observation named {@value #OBSERVATION} in the same pass
 * ({@code Dataset.observe}, reported in the micro-batch's progress): {@link #record} turns it into
 * {@code clickstream_sink_rows_total{sink="lake"}}; a failed commit counts in {@code clickstream_sink_errors_total}.
 */
public final class LakeSink implements ForeachBatchSink {
  /** The output name: the {@code sink} label of the metrics. */
  public static final String LAKE = "lake";
  /** The name of the query's observed metrics. */
  public static final String OBSERVATION = "lake_rows";

  /** Spark's local property with the running streaming query's id (StreamExecution.QUERY_ID_KEY). */
  static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

  private final LakeTable lake;
  private final transient PipelineMetrics metrics;

  /**
   * @param lake the Delta table of valid events
   * @param metrics where failed commits are counted
   */
  public LakeSink(LakeTable lake, PipelineMetrics metrics) {
    this.lake = lake;
    this.metrics = metrics;
  }

  /**
   * @param events rows of {@link EventParser#validEvents}
   * @return their writer, counted by the {@value #OBSERVATION} observation
   */
  @Override
  public DataStreamWriter<Row> stream(Dataset<Row> events) {
    return events.observe(OBSERVATION, count(lit(1)).as("rows")).writeStream();
  }

  /**
   * Appends one micro-batch as one Delta commit.
   *
   * @param events the micro-batch's valid events
   * @param batchId the micro-batch id, Delta's txnVersion
   * @throws IllegalStateException when called outside a streaming query (no query id to make the commit idempotent)
   * @throws Exception what Delta's write throws (after counting it in {@code clickstream_sink_errors_total})
   */
  @Override
  public void call(Dataset<Row> events, Long batchId) throws Exception {
    String queryId = events.sparkSession().sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    if (queryId == null) {
      throw new IllegalStateException("no streaming query id: LakeSink runs inside foreachBatch only");
    }
    try {
      lake.append(events, queryId, batchId);
    } catch (Exception e) {
      metrics.sinkError(LAKE);
      throw e;
    }
  }

  /**
   * @param observed the {@value #OBSERVATION} row of one micro-batch's progress
   * @param metrics where the rows go
   */
  public static void record(Row observed, PipelineMetrics metrics) {
    metrics.sinkRows(LAKE, observed.getLong(0));
  }
}
