package dev.clickstream.app.sink;

import dev.clickstream.app.config.Settings.FaultPoint;
import dev.clickstream.contract.Query;
import java.util.Optional;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/**
 * FAULT_HALT_AFTER_BATCH, for crash tests: a sink that writes like the one it wraps and then halts the JVM right
 * after it has written the named micro-batch, before Spark commits it: the one moment where a crash makes Spark
 * replay a batch whose output is already written. The test then sees {@code offsets/<n>} without
 * {@code commits/<n>} in the checkpoint and can prove that the replay leaves the same rows. The pipeline wraps the
 * named query's sink only when that setting is given.
 *
 * <p>{@link Runtime#halt} (exit status {@value #EXIT_STATUS}, like SIGKILL): no shutdown hooks, no graceful stop,
 * no flushed state, as when a pod is lost.
 */
public final class FaultHaltingSink implements StreamSink {
  /** The exit status of a halt: 128 + SIGKILL's 9, what a killed container reports. */
  public static final int EXIT_STATUS = 137;

  private final ForeachBatchSink sink;
  private final FaultPoint point;

  /**
   * @param sink the sink of the query {@code point} names
   * @param point the micro-batch after which to halt
   */
  public FaultHaltingSink(ForeachBatchSink sink, FaultPoint point) {
    this.sink = sink;
    this.point = point;
  }

  /**
   * @param query a query
   * @param sink its sink
   * @param point FAULT_HALT_AFTER_BATCH, if set
   * @return {@code sink} halting after {@code point}'s micro-batch when the point names {@code query}, else
   *     {@code sink} itself
   * @throws IllegalArgumentException when the point names {@code query} and its sink is not a foreachBatch sink
   *     ({@link FaultPoint} refuses such a query when the setting is read)
   */
  public static StreamSink around(Query query, StreamSink sink, Optional<FaultPoint> point) {
    if (point.isEmpty() || point.get().query() != query) {
      return sink;
    }
    if (!(sink instanceof ForeachBatchSink foreachBatch)) {
      throw new IllegalArgumentException("FAULT_HALT_AFTER_BATCH: " + query + " has no foreachBatch sink");
    }
    return new FaultHaltingSink(foreachBatch, point.get());
  }

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> rows) {
    ForeachBatchSink inner = sink;
    FaultPoint halt = point;
    return sink.stream(rows).foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) -> {
      inner.call(batch, batchId);
      if (batchId == halt.batchId()) {
        System.err.println("clickstream: FAULT_HALT_AFTER_BATCH=" + halt + ": halting after the sink wrote "
            + "micro-batch " + batchId + " of " + halt.query() + ", before Spark commits it");
        System.err.flush();
        Runtime.getRuntime().halt(EXIT_STATUS);
      }
    });
  }
}
