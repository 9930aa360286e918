package dev.clickstream.app;

import dev.clickstream.app.config.TriggerSpec;
import dev.clickstream.app.sink.StreamSink;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One streaming query of the pipeline: what it computes and where it writes, not yet started.
 *
 * @param name the query name of DESIGN §1 ({@code ingest}, {@code lake}, {@code analytics}, {@code user-sessions}):
 *     Spark's query name, the {@code query} label of the metrics and the checkpoint {@code ${CHECKPOINT_ROOT}/<name>}
 * @param rows the query's result rows (a streaming Dataset: source and transform)
 * @param sink where they go
 * @param trigger its micro-batch trigger
 * @param noDataMicroBatches whether Spark runs a micro-batch without data after one that moved the watermark
 *     ({@code spark.sql.streaming.noDataMicroBatches.enabled}, default true): needed where such a micro-batch
 *     emits rows (session timeouts); an update-mode aggregation emits nothing in it (its rows were upserted when
 *     they changed; eviction only drops keys the watermark has passed), and the next micro-batch with data evicts
 *     with the same watermark, so it is off there
 */
public record QuerySpec(String name, Dataset<Row> rows, StreamSink sink, TriggerSpec trigger, boolean noDataMicroBatches) {}
