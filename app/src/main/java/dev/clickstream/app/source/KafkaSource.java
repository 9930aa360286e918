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
   *     is then left out, and REAL_TIME_FETCH_WAIT applies
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
    reader = reader.options(fetchOptions(settings, realTime));
    if (settings.kafka().maxOffsetsPerTrigger().isPresent() && !realTime) {
      reader = reader.option("maxOffsetsPerTrigger", settings.kafka().maxOffsetsPerTrigger().get());
    }
    return reader.load();
  }

  /**
   * @param settings REAL_TIME_FETCH_WAIT
   * @param realTime whether the query runs under Spark's real-time trigger
   * @return the Kafka consumer's fetch options: with a real-time trigger and REAL_TIME_FETCH_WAIT &gt; 0,
   *     {@code kafka.fetch.min.bytes} = {@link Settings#REAL_TIME_FETCH_BYTES} and {@code kafka.fetch.max.wait.ms} =
   *     the wait (a fetch returns once that much arrived or the wait is over, Kafka's consumer configs); else none
   *     (Kafka's defaults: a fetch returns as soon as one byte is there). A micro-batch reads a known offset range,
   *     which a wait for more bytes would only delay.
   */
  static java.util.Map<String, String> fetchOptions(Settings settings, boolean realTime) {
    java.time.Duration wait = settings.triggers().realTimeFetchWait();
    if (!realTime || wait.isZero()) {
      return java.util.Map.of();
    }
    return java.util.Map.of("kafka.fetch.min.bytes", String.valueOf(Settings.REAL_TIME_FETCH_BYTES),
        "kafka.fetch.max.wait.ms", String.valueOf(wait.toMillis()));
  }
}
