package dev.clickstream.app;

import static dev.clickstream.contract.Query.ANALYTICS;
import static dev.clickstream.contract.Query.INGEST;
import static dev.clickstream.contract.Query.LAKE;
import static dev.clickstream.contract.Query.USER_SESSIONS;

import dev.clickstream.app.analytics.UserSessions;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.config.TriggerSpec;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.sink.AnalyticsSink;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.sink.LakeSink;
import dev.clickstream.app.sink.LakeTable;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.app.sink.StreamSink;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.KafkaSource;
import dev.clickstream.contract.Durations;
import dev.clickstream.contract.Query;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The pipeline on one screen (docs/architecture.md, "Queries"): the four queries in the order data flows, each as
 * source -> named steps -> sink with its trigger and checkpoint. Every query reads {@code user_activity} through the
 * same parser; Spark gives each query its own Kafka reader. Nothing here starts: {@link PipelineRuntime} does.
 */
public final class PipelineTopology {
  private final SparkSession spark;
  private final Settings settings;
  private final PipelineMetrics metrics;

  /**
   * @param spark a session configured by {@link SparkSessionConfig#of}
   * @param settings validated settings
   * @param metrics where the sinks count rows written and failed
   */
  public PipelineTopology(SparkSession spark, Settings settings, PipelineMetrics metrics) {
    this.spark = spark;
    this.settings = settings;
    this.metrics = metrics;
  }

  /**
   * @param ingestMode how {@code ingest} runs: {@link IngestMode#REAL_TIME} reads Kafka with a real-time reader
   *     under Spark's real-time trigger, {@link IngestMode#MICRO_BATCH} shares the others' parse under TRIGGER_INTERVAL
   * @return the four queries, in start order
   */
  public List<QuerySpec> queries(IngestMode ingestMode) {
    Settings.Triggers when = settings.triggers();
    Dataset<Row> parsed = parse(KafkaSource.read(spark, settings, false));
    Dataset<Row> valid = EventParser.validEvents(parsed);
    Dataset<Row> watermarked = valid.withWatermark("event_time", Durations.toSparkInterval(when.watermarkDelay()));
    DatabaseConfig db = DatabaseConfig.writer(settings);
    boolean realTime = ingestMode == IngestMode.REAL_TIME;
    return List.of(
        // Kafka -> parse -> enriched_activity (valid) + user_activity_dlq (malformed)
        query(INGEST, realTime ? parse(KafkaSource.read(spark, settings, true)) : parsed,
            new IngestSink(settings.sparkKafkaOptions(), settings.kafka().enrichedTopic(), settings.kafka().dlqTopic()),
            realTime ? TriggerSpec.realTime(when.realTimeBatchDuration(), when.interval().availableNow()) : when.interval(),
            true),
        // Kafka -> parse -> valid -> the Delta table, one commit per micro-batch
        query(LAKE, valid, new LakeSink(new LakeTable(settings.lake().eventsPath()), metrics), settings.lakeQueryTrigger(),
            true),
        // Kafka -> parse -> valid -> watermark -> dedupe -> one aggregation -> the windowed tables
        query(ANALYTICS, WindowedAnalytics.of(watermarked), new AnalyticsSink(db, metrics), when.interval(), false),
        // Kafka -> parse -> valid -> watermark -> sessions -> user_sessions
        query(USER_SESSIONS, UserSessions.of(watermarked, when.sessionTimeout()), PostgresUpsertSink.userSessions(db, metrics),
            when.interval(), true));
  }

  private Dataset<Row> parse(Dataset<Row> kafka) {
    return EventParser.parse(kafka, settings.triggers().maxEventTimeSkew());
  }

  private QuerySpec query(Query query, Dataset<Row> rows, StreamSink sink, TriggerSpec trigger, boolean noDataMicroBatches) {
    return new QuerySpec(query, rows, sink, trigger, settings.checkpointFor(query), noDataMicroBatches);
  }
}
