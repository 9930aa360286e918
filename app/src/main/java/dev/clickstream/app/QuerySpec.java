package dev.clickstream.app;

import dev.clickstream.app.config.TriggerSpec;
import dev.clickstream.app.sink.StreamSink;
import dev.clickstream.contract.Query;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One streaming query of the pipeline: what it computes, where it writes, when and on which checkpoint; not yet
 * started ({@link PipelineTopology} lists them, {@link QuerySupervisor} starts them).
 *
 * @param query which query: Spark's query name and the {@code query} label of the metrics
 * @param rows the query's result rows (a streaming Dataset: source and transform)
 * @param sink where they go
 * @param trigger its micro-batch (or real-time) trigger
 * @param checkpoint its checkpoint directory, {@code ${CHECKPOINT_ROOT}/<query>}
 * @param noDataMicroBatches whether Spark runs a micro-batch without data after one that moved the watermark
 *     ({@code spark.sql.streaming.noDataMicroBatches.enabled}, default true): needed where such a micro-batch
 *     emits rows (session timeouts); an update-mode aggregation emits nothing in it (its rows were upserted when
 *     they changed; eviction only drops keys the watermark has passed), and the next micro-batch with data evicts
 *     with the same watermark, so it is off there
 */
public record QuerySpec(Query query, Dataset<Row> rows, StreamSink sink, TriggerSpec trigger, String checkpoint,
    boolean noDataMicroBatches) {
  /**
   * @param other a sink for the same rows
   * @return this query writing to {@code other}
   */
  public QuerySpec withSink(StreamSink other) {
    return new QuerySpec(query, rows, other, trigger, checkpoint, noDataMicroBatches);
  }
}
