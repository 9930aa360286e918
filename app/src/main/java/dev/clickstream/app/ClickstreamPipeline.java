package dev.clickstream.app;


import dev.clickstream.app.analytics.ActiveUsers;
import dev.clickstream.app.analytics.EnrichedEvents;
import dev.clickstream.app.analytics.PageViewCounts;
import dev.clickstream.app.analytics.UserSessions;
import dev.clickstream.app.config.Durations;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.config.SettingsException;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.KafkaTopicSink;
import dev.clickstream.app.sink.ParquetLakeSink;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.app.sink.SchemaMigrations;
import dev.clickstream.app.sink.StreamSink;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.KafkaSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The clickstream Spark application: one streaming query per sink (DESIGN §1), each with its own checkpoint
 * {@code ${CHECKPOINT_ROOT}/<query-name>}.
 *
 * <p>Start-up: settings (exit 2 naming a bad one), Flyway migrations (exit 1 naming the URL when Postgres
 * stays unreachable for 60 s), SparkSession, queries. Then it runs until a query fails (the others are
 * stopped, exit 1 with the cause), SIGTERM/SIGINT (queries stopped, exit 0), or, with
 * {@code TRIGGER_INTERVAL=available-now}, until every query has processed what was in the topic (exit 0).
 */
public final class ClickstreamPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ClickstreamPipeline.class);

  /** Query names of DESIGN §1: they appear in logs, metrics and checkpoint paths. */
  public static final String RAW_LAKE = "raw-lake";
  public static final String ENRICHED = "enriched";
  public static final String DEAD_LETTER = "dead-letter";
  public static final String PAGE_VIEW_COUNTS = "page-view-counts";
  public static final String ACTIVE_USERS = "active-users";
  public static final String USER_SESSIONS = "user-sessions";

  /** Every query name, in start order. */
  public static final List<String> QUERIES = List.of(DEAD_LETTER, RAW_LAKE, ENRICHED, PAGE_VIEW_COUNTS, ACTIVE_USERS,
      USER_SESSIONS);

  private final SparkSession spark;
  private final Settings settings;
  private final java.util.Set<String> selected;
  /** Restarts allowed per query for the Spark 4.1.1 Kafka metrics bug (see {@link #isKafkaMetricsBug}). */
  static final int METRICS_BUG_RESTARTS = 3;

  private record QueryDefinition(String name, Dataset<Row> rows, StreamSink sink) {}

  private final List<QueryDefinition> definitions = new ArrayList<>();
  private final List<StreamingQuery> queries = new ArrayList<>();
  private final Map<String, Integer> restarts = new java.util.HashMap<>();
  private final MicroBatchLog microBatchLog = new MicroBatchLog();
  private volatile boolean stopRequested;

  /**
   * @param spark a session configured by {@link #sessionConfig}
   * @param settings validated settings
   */
  public ClickstreamPipeline(SparkSession spark, Settings settings) {
    this(spark, settings, java.util.Set.copyOf(QUERIES));
  }

  /**
   * A pipeline that runs only some of its queries (benchmarks measure them one by one).
   *
   * @param spark a session configured by {@link #sessionConfig}
   * @param settings validated settings
   * @param queries names from {@link #QUERIES}
   * @throws IllegalArgumentException for an unknown query name
   */
  public ClickstreamPipeline(SparkSession spark, Settings settings, java.util.Set<String> queries) {
    for (String q : queries) {
      if (!QUERIES.contains(q)) {
        throw new IllegalArgumentException("unknown query " + q + "; known: " + QUERIES);
      }
    }
    this.spark = spark;
    this.settings = settings;
    this.selected = java.util.Set.copyOf(queries);
  }

  /**
   * Entry point; exits the JVM with 0 (stopped or done), 1 (failure) or 2 (bad settings).
   *
   * @param args flags of {@link Settings}
   */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv()));
  }

  /**
   * Runs the pipeline to its end (see the class comment).
   *
   * @param args flags
   * @param env environment
   * @return exit status: 0, 1 or 2
   */
  public static int run(String[] args, Map<String, String> env) {
    Settings settings;
    try {
      settings = Settings.parse(args, env);
    } catch (SettingsException e) {
      System.err.println("clickstream: " + e.getMessage());
      return 2;
    }
    LOG.info("settings {}", settings.describe());
    DatabaseConfig db = database(settings);
    try {
      int applied = SchemaMigrations.migrate(db, Duration.ofSeconds(60));
      LOG.info("schema migrations applied: {}", applied);
    } catch (SchemaMigrations.StartupException e) {
      System.err.println("clickstream: " + e.getMessage());
      return 1;
    }
    SparkSession spark = SparkSession.builder().config(sessionConfig(settings)).getOrCreate();
    try {
      ClickstreamPipeline pipeline = new ClickstreamPipeline(spark, settings);
      pipeline.installSignalHandlers();
      return pipeline.runUntilDone();
    } finally {
      spark.stop();
    }
  }

  private static DatabaseConfig database(Settings settings) {
    return new DatabaseConfig(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword());
  }

  /**
   * Spark settings the pipeline relies on; anything already set (spark-submit, {@code -Dspark.*}) wins.
   *
   * @param settings for SPARK_MASTER (only when no master is set)
   * @return the configuration
   */
  public static SparkConf sessionConfig(Settings settings) {
    SparkConf conf = new SparkConf();
    conf.setIfMissing("spark.master", settings.sparkMaster());
    conf.setIfMissing("spark.app.name", "clickstream");
    // event_date and the ISO strings are UTC by contract (DESIGN §3-§4)
    conf.setIfMissing("spark.sql.session.timeZone", "UTC");
    // 200 shuffle partitions cost 3-4x on 2 cores (DESIGN §8); ~2 per core. Fixed per checkpoint once started.
    conf.setIfMissing("spark.sql.shuffle.partitions", String.valueOf(2 * Runtime.getRuntime().availableProcessors()));
    // RocksDB state with changelog checkpointing: state off-heap, small incremental checkpoints (Spark SS guide)
    conf.setIfMissing("spark.sql.streaming.stateStore.providerClass",
        "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider");
    conf.setIfMissing("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true");
    conf.setIfMissing("spark.sql.streaming.metricsEnabled", "true");
    return conf;
  }

  /**
   * Starts every query. The whole system on one screen: source -> parse -> one line per query.
   *
   * @return the started queries
   * @throws TimeoutException when Spark cannot start a query
   */
  public List<StreamingQuery> start() throws TimeoutException {
    spark.streams().addListener(microBatchLog);
    DatabaseConfig db = database(settings);
    String kafka = settings.kafkaBootstrapServers();

    Dataset<Row> parsed = EventParser.parse(KafkaSource.read(spark, settings));
    Dataset<Row> events = EventParser.validEvents(parsed);
    Dataset<Row> watermarked = events.withWatermark("event_time", Durations.toSparkInterval(settings.watermarkDelay()));

    start(DEAD_LETTER, EventParser.deadLetters(parsed), KafkaTopicSink.raw(kafka, settings.dlqTopic()));
    start(RAW_LAKE, events, ParquetLakeSink.events(settings.lakePath()));
    start(ENRICHED, EnrichedEvents.of(events), KafkaTopicSink.json(kafka, settings.enrichedTopic(), "user_id"));
    start(PAGE_VIEW_COUNTS, PageViewCounts.of(watermarked), PostgresUpsertSink.pageViewCounts(db));
    start(ACTIVE_USERS, ActiveUsers.of(watermarked), PostgresUpsertSink.activeUsers(db));
    start(USER_SESSIONS, UserSessions.of(watermarked, settings.sessionTimeout()), PostgresUpsertSink.userSessions(db));
    return List.copyOf(queries);
  }

  private void start(String name, Dataset<Row> rows, StreamSink sink) throws TimeoutException {
    if (!selected.contains(name)) {
      return;
    }
    QueryDefinition definition = new QueryDefinition(name, rows, sink);
    definitions.add(definition);
    queries.add(start(definition));
  }

  private StreamingQuery start(QueryDefinition q) throws TimeoutException {
    Trigger trigger = settings.trigger().availableNow() ? Trigger.AvailableNow()
        : Trigger.ProcessingTime(settings.trigger().interval().toMillis());
    return q.sink().writer(q.rows())
        .queryName(q.name())
        .option("checkpointLocation", settings.checkpointFor(q.name()))
        .trigger(trigger)
        .start();
  }

  /**
   * Spark 4.1.1 bug SPARK-55271 (fixed after 4.1.1): when a query restarts on a checkpoint whose last micro-batch
   * was planned but not committed (a killed driver), it replays that batch without asking Kafka for the latest
   * offsets, and the progress report then fails with a NullPointerException in
   * {@code KafkaMicroBatchStream.metrics}. The replayed batch's output and commit are already written by then,
   * so starting the query again on its checkpoint continues normally.
   *
   * @param failure a query's exception
   * @return whether it is that bug
   */
  static boolean isKafkaMetricsBug(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NullPointerException) {
        for (StackTraceElement frame : t.getStackTrace()) {
          if (frame.getClassName().startsWith("org.apache.spark.sql.kafka010.KafkaMicroBatchStream")
              && frame.getMethodName().equals("metrics")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Starts the queries and waits: returns 1 as soon as one fails (after stopping the others), 0 when all have
   * ended (available-now) or were stopped by {@link #stop()}.
   *
   * @return exit status
   */
  public int runUntilDone() {
    try {
      start();
    } catch (TimeoutException | RuntimeException e) {
      LOG.error("cannot start the queries", e);
      System.err.println("clickstream: cannot start the queries: " + e);
      stop();
      return 1;
    }
    while (queries.stream().anyMatch(StreamingQuery::isActive)) {
      try {
        spark.streams().awaitAnyTermination();
      } catch (StreamingQueryException e) {
        // reported below from the query itself
      }
      for (int i = 0; i < queries.size(); i++) {
        StreamingQuery q = queries.get(i);
        if (!q.isActive() && q.exception().isDefined() && isKafkaMetricsBug(q.exception().get())) {
          if (stopRequested) {
            continue; // stopping anyway, and the replayed micro-batch is committed: not a failure
          }
          if (restarts.merge(q.name(), 1, Integer::sum) <= METRICS_BUG_RESTARTS) {
            LOG.warn("query {} hit SPARK-55271 (Kafka source metrics after a replayed micro-batch): restarting it", q.name());
            try {
              synchronized (queries) { // stop() must see the restarted query, or not race with it at all
                if (!stopRequested) {
                  queries.set(i, start(definitions.get(i)));
                }
              }
              continue;
            } catch (TimeoutException | RuntimeException e) {
              LOG.error("cannot restart query {}", q.name(), e);
            }
          }
        }
        if (!q.isActive() && q.exception().isDefined()) {
          String cause = rootCause(q.exception().get());
          LOG.error("query {} failed, stopping the others: {}", q.name(), cause);
          System.err.println("clickstream: query " + q.name() + " failed: " + cause);
          stop();
          return 1;
        }
      }
      spark.streams().resetTerminated();
    }
    LOG.info(stopRequested ? "stopped on request" : "all queries done");
    spark.streams().removeListener(microBatchLog); // a session may run another pipeline after this one
    return 0;
  }

  /** Stops every query (each finishes or abandons its current micro-batch; the checkpoint stays consistent). */
  public void stop() {
    List<StreamingQuery> running;
    synchronized (queries) {
      stopRequested = true;
      running = List.copyOf(queries);
    }
    for (StreamingQuery q : running) {
      try {
        q.stop();
      } catch (TimeoutException | RuntimeException e) {
        LOG.warn("query {} did not stop cleanly: {}", q.name(), e.toString());
      }
    }
  }

  private void installSignalHandlers() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          LOG.info("SIG{} received: stopping the queries", name);
          new Thread(this::stop, "clickstream-stop").start();
        });
      } catch (IllegalArgumentException e) {
        // signal not available on this platform
      }
    }
  }

  private static String rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String message = c.getMessage() == null ? "" : c.getMessage().lines().findFirst().orElse("");
    return c.getClass().getSimpleName() + ": " + message;
  }
}
