package dev.clickstream.app.sink;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;

/**
 * The Parquet lake: {@code ${LAKE_PATH}/events/event_date=YYYY-MM-DD/part-*.parquet}. Spark's file sink
 * commits each micro-batch's files in {@code events/_spark_metadata}, so readers that go through that log
 * (Spark) see every record exactly once, even after a crash mid-batch (Structured Streaming guide, "Output Sinks").
 */
public final class ParquetLakeSink implements StreamSink {
  private final String path;

  private ParquetLakeSink(String path) {
    this.path = path;
  }

  /**
   * @param lakePath LAKE_PATH
   * @return the sink for {@code ${lakePath}/events}, partitioned by the rows' {@code event_date} column
   */
  public static ParquetLakeSink events(String lakePath) {
    return new ParquetLakeSink(eventsPath(lakePath));
  }

  /**
   * @param lakePath LAKE_PATH
   * @return {@code ${lakePath}/events}
   */
  public static String eventsPath(String lakePath) {
    return lakePath.replaceAll("/+$", "") + "/events";
  }

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> rows) {
    return rows.writeStream()
        .format("parquet")
        .outputMode(OutputMode.Append())
        .partitionBy("event_date")
        .option("path", path);
  }
}
