package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.runtime.MemoryStream;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.DataTypes;
import scala.jdk.javaapi.CollectionConverters;

/** Driving a streaming query micro-batch by micro-batch from a MemoryStream, for the analytics tests. */
final class MicroBatches {
  private MicroBatches() {}

  /** @return a local session with 2 cores, UTC, 2 shuffle partitions, no UI */
  static SparkSession localSession() {
    return SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "2")
        // transformWithState (the analytics query's deduplication) runs only on the RocksDB state store
        .config("spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
        .getOrCreate();
  }

  /**
   * Comma-separated lines as valid events with a 2-minute watermark on event_time.
   *
   * @param input the lines
   * @param fields the lines' fields, in order (an empty field is null); event_time becomes a timestamp, price a
   *     decimal(12,2), quantity an int, the rest strings; every other column of {@link WindowedAnalytics#COLUMNS}
   *     is null
   * @return the events
   */
  static Dataset<Row> events(MemoryStream<String> input, String... fields) {
    Column f = split(col("value"), ",", -1);
    List<Column> columns = new ArrayList<>();
    for (String name : WindowedAnalytics.COLUMNS) {
      int i = List.of(fields).indexOf(name);
      Column text = i < 0 ? lit(null) : when(f.getItem(i).notEqual(""), f.getItem(i));
      columns.add(switch (name) {
        case "event_time" -> text.cast(DataTypes.TimestampType).as(name);
        case "price" -> text.cast(DataTypes.createDecimalType(12, 2)).as(name);
        case "quantity" -> text.cast(DataTypes.IntegerType).as(name);
        default -> text.cast(DataTypes.StringType).as(name);
      });
    }
    return input.toDF().select(columns.toArray(new Column[0])).withWatermark("event_time", "2 minutes");
  }

  /** Adds the lines as one micro-batch's input and waits until the query has processed it. */
  static void add(MemoryStream<String> input, StreamingQuery query, String... lines) {
    input.addData(CollectionConverters.asScala(List.of(lines)).toSeq());
    query.processAllAvailable();
  }
}
