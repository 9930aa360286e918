package dev.clickstream.app.sink;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

/**
 * Writes the rows of one micro-batch to a Kafka topic (Spark's batch Kafka sink, called from the ingest query's
 * {@code foreachBatch}). Delivery is at least once: a micro-batch replayed after a crash is written again
 * (Structured Streaming + Kafka guide, "Writing Data to Kafka"), so records carry event_id for deduplication.
 */
public final class KafkaTopicWriter implements Serializable {
  private final Map<String, String> kafkaOptions;
  private final String topic;
  private final String keyColumn;

  private KafkaTopicWriter(Map<String, String> kafkaOptions, String topic, String keyColumn) {
    this.kafkaOptions = Map.copyOf(kafkaOptions);
    this.topic = topic;
    this.keyColumn = keyColumn;
  }

  /**
   * Rows become JSON objects of all their columns, keyed by one of them.
   *
   * @param kafkaOptions Spark's {@code kafka.}-prefixed producer settings: bootstrap servers and security
   *     ({@code Settings.sparkKafkaOptions()})
   * @param topic destination topic
   * @param keyColumn the column whose value is the record key (e.g. user_id)
   * @return the writer
   */
  public static KafkaTopicWriter json(Map<String, String> kafkaOptions, String topic, String keyColumn) {
    return new KafkaTopicWriter(kafkaOptions, topic, keyColumn);
  }

  /**
   * Rows already in Kafka's sink shape (key binary, value binary, optional headers
   * array&lt;struct&lt;key string, value binary&gt;&gt;) are written as they are: the dead-letter topic gets the
   * original record's bytes.
   *
   * @param kafkaOptions Spark's {@code kafka.}-prefixed producer settings: bootstrap servers and security
   * @param topic destination topic
   * @return the writer
   */
  public static KafkaTopicWriter raw(Map<String, String> kafkaOptions, String topic) {
    return new KafkaTopicWriter(kafkaOptions, topic, null);
  }

  /**
   * Writes the rows (a Spark batch job) and returns when Kafka has acknowledged all of them.
   *
   * @param rows the rows of one micro-batch
   * @throws org.apache.spark.SparkException when a record cannot be written (the micro-batch then fails and is
   *     replayed from the checkpoint)
   */
  public void write(Dataset<Row> rows) {
    Dataset<Row> encoded = keyColumn == null ? rows
        : rows.select(col(keyColumn).cast(DataTypes.StringType).as("key"),
            to_json(struct(Arrays.stream(rows.columns()).map(c -> col(c)).toArray(Column[]::new))).as("value"));
    encoded.write()
        .format("kafka")
        .options(kafkaOptions)
        .option("topic", topic)
        // lz4: the cheapest codec per byte on the producer side (Kafka docs, compression.type)
        .option("kafka.compression.type", "lz4")
        // a few ms of batching per partition; the whole micro-batch is sent at once anyway
        .option("kafka.linger.ms", "5")
        .save();
  }
}
