package dev.clickstream.app.sink;

import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/**
 * A sink that writes each micro-batch itself, from Spark's {@code foreachBatch} (Structured Streaming guide,
 * "foreachBatch"): {@link #call} writes one micro-batch's rows; {@link #stream} prepares the query's writer (an
 * observation, the output mode) before the function is attached, so that a wrapper ({@link FaultHaltingSink}) can
 * attach another function around it.
 */
public interface ForeachBatchSink extends StreamSink, VoidFunction2<Dataset<Row>, Long> {
  /**
   * @param rows the query's result rows
   * @return their writer without its foreachBatch function
   */
  DataStreamWriter<Row> stream(Dataset<Row> rows);

  /** @return {@link #stream} writing each micro-batch with {@link #call} */
  @Override
  default DataStreamWriter<Row> writer(Dataset<Row> rows) {
    return stream(rows).foreachBatch(this);
  }
}
