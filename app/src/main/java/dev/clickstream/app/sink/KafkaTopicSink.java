package dev.clickstream.app.sink;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.types.DataTypes;

/**
 * A Kafka topic as a sink. Delivery is at least once: a micro-batch replayed after a crash is written again
 * (Structured Streaming + Kafka guide, "Writing Data to Kafka"), so records carry event_id for deduplication.
 */
public final class KafkaTopicSink implements StreamSink {
  private final String bootstrapServers;
  private final String topic;
  private final String keyColumn;

  private KafkaTopicSink(String bootstrapServers, String topic, String keyColumn) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.keyColumn = keyColumn;
  }

  /**
   * Rows become JSON objects of all their columns, keyed by one of them.
   *
   * @param bootstrapServers brokers
   * @param topic destination topic
   * @param keyColumn the column whose value is the record key (e.g. user_id)
   * @return the sink
   */
  public static KafkaTopicSink json(String bootstrapServers, String topic, String keyColumn) {
    return new KafkaTopicSink(bootstrapServers, topic, keyColumn);
  }

  /**
   * Rows already in Kafka's sink shape (key, value, optional headers) are written as they are.
   *
   * @param bootstrapServers brokers
   * @param topic destination topic
   * @return the sink
   */
  public static KafkaTopicSink raw(String bootstrapServers, String topic) {
    return new KafkaTopicSink(bootstrapServers, topic, null);
  }

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> rows) {
    Dataset<Row> encoded = keyColumn == null ? rows
        : rows.select(col(keyColumn).cast(DataTypes.StringType).as("key"),
            to_json(struct(Arrays.stream(rows.columns()).map(c -> col(c)).toArray(Column[]::new))).as("value"));
    return encoded.writeStream()
        .format("kafka")
        .outputMode(OutputMode.Append())
        .option("kafka.bootstrap.servers", bootstrapServers)
        .option("topic", topic)
        .option("kafka.compression.type", "lz4")
        .option("kafka.linger.ms", "5");
  }
}
