package dev.clickstream.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.clickstream.app.analytics.EnrichedEvents;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.ParquetLakeSink;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.KafkaSource;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.storage.StorageLevel;

/**
 * An experiment, not the pipeline: the three stateless sinks (dead-letter, raw-lake, enriched) fed by one Kafka
 * read and one parse per micro-batch, in one query whose {@code foreachBatch} caches the parsed batch and writes
 * it three times, to compare with the sum of the three queries alone.
 *
 * <p>Why the pipeline does not do this (DESIGN §1, §4): a batch Parquet write inside {@code foreachBatch} is
 * not exactly once (a micro-batch replayed after a crash appends its files again; only the streaming file sink
 * keeps the {@code _spark_metadata} log that makes the lake exactly once), and the three sinks would share one
 * checkpoint and one failure.
 */
final class SharedReadExperiment {
  private SharedReadExperiment() {}

  /**
   * Runs the shared-read query with available-now over the input topic.
   *
   * @param spark the session
   * @param settings topics, lake path and checkpoint root of this run
   * @return seconds until the query ended
   * @throws TimeoutException when Spark cannot start the query
   * @throws StreamingQueryException when the query fails
   */
  static double run(SparkSession spark, Settings settings) throws TimeoutException, StreamingQueryException {
    String kafka = settings.kafkaBootstrapServers();
    String lake = ParquetLakeSink.eventsPath(settings.lakePath());
    long start = System.nanoTime();
    StreamingQuery query = EventParser.parse(KafkaSource.read(spark, settings)).writeStream()
        .queryName("shared-read")
        .option("checkpointLocation", settings.checkpointFor("shared-read"))
        .trigger(Trigger.AvailableNow())
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (parsed, batchId) -> {
          parsed.persist(StorageLevel.MEMORY_ONLY());
          EventParser.deadLetters(parsed).write().format("kafka").option("kafka.bootstrap.servers", kafka)
              .option("topic", settings.dlqTopic()).save();
          Dataset<Row> events = EventParser.validEvents(parsed);
          events.write().mode(SaveMode.Append).partitionBy("event_date").parquet(lake);
          Dataset<Row> enriched = EnrichedEvents.of(events);
          enriched.select(col("user_id").as("key"),
                  to_json(struct(Arrays.stream(enriched.columns()).map(c -> col(c)).toArray(Column[]::new))).as("value"))
              .write().format("kafka").option("kafka.bootstrap.servers", kafka).option("topic", settings.enrichedTopic())
              .option("kafka.compression.type", "lz4").option("kafka.linger.ms", "5").save();
          parsed.unpersist();
        })
        .start();
    query.awaitTermination();
    return (System.nanoTime() - start) / 1e9;
  }
}
