package dev.clickstream.app.source;

import dev.clickstream.app.config.Settings;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The {@code user_activity} topic as a streaming source. */
public final class KafkaSource {
  private KafkaSource() {}

  /**
   * Subscribes to INPUT_TOPIC.
   *
   * @param spark the session
   * @param settings bootstrap servers and Kafka security settings, topic, max offsets per trigger, and
   *     STARTING_OFFSETS (where a fresh checkpoint starts: {@code earliest}, {@code latest} or Spark's JSON form)
   * @param realTime whether the query runs under Spark's real-time trigger, which refuses
   *     {@code maxOffsetsPerTrigger} (a real-time batch reads what arrives during its duration): MAX_OFFSETS_PER_TRIGGER
   *     is then left out
   * @return rows of Spark's Kafka schema: key binary, value binary, topic string, partition int, offset long,
   *     timestamp timestamp, timestampType int
   */
  public static Dataset<Row> read(SparkSession spark, Settings settings, boolean realTime) {
    DataStreamReader reader = spark.readStream()
        .format("kafka")
        .options(settings.sparkKafkaOptions())
        .option("subscribe", settings.kafka().inputTopic())
        .option("startingOffsets", settings.kafka().startingOffsets())
        // 8 MB per partition and fetch instead of 1 MB: fewer round trips for large micro-batches (architecture §8)
        .option("kafka.max.partition.fetch.bytes", String.valueOf(8 * 1024 * 1024))
        // A deleted or compacted offset range is data loss: fail loudly instead of skipping (Spark Kafka guide).
        .option("failOnDataLoss", "true");
    if (settings.kafka().maxOffsetsPerTrigger().isPresent() && !realTime) {
      reader = reader.option("maxOffsetsPerTrigger", settings.kafka().maxOffsetsPerTrigger().get());
    }
    return reader.load();
  }
}
