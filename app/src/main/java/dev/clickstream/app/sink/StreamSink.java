package dev.clickstream.app.sink;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/**
 * Where a streaming query writes: encodes the rows for the destination and configures the writer's format,
 * options and output mode. The pipeline adds query name, checkpoint location and trigger.
 */
public interface StreamSink extends Serializable {
  /**
   * @param rows the query's result rows
   * @return a writer for them, not started
   */
  DataStreamWriter<Row> writer(Dataset<Row> rows);
}
