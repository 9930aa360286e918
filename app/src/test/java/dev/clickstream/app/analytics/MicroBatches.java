package dev.clickstream.app.analytics;

import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.runtime.MemoryStream;
import org.apache.spark.sql.streaming.StreamingQuery;
import scala.jdk.javaapi.CollectionConverters;

/** Driving a streaming query micro-batch by micro-batch from a MemoryStream, for the analytics tests. */
final class MicroBatches {
  private MicroBatches() {}

  /** @return a local session with 2 cores, UTC, 2 shuffle partitions, no UI */
  static SparkSession localSession() {
    return SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  /** Adds the lines as one micro-batch's input and waits until the query has processed it. */
  static void add(MemoryStream<String> input, StreamingQuery query, String... lines) {
    input.addData(CollectionConverters.asScala(List.of(lines)).toSeq());
    query.processAllAvailable();
  }
}
