package dev.clickstream.app;

import dev.clickstream.app.analytics.UserSessions;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.config.TriggerSpec;
import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.metrics.QueryMetricsListener;
import dev.clickstream.app.sink.AnalyticsSink;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.FaultHaltingSink;
import dev.clickstream.app.sink.ForeachBatchSink;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.sink.LakeMaintenance;
import dev.clickstream.app.sink.LakeSink;
import dev.clickstream.app.sink.LakeTable;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.app.sink.SchemaMigrations;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.KafkaAccessCheck;
import dev.clickstream.app.source.KafkaSource;
import dev.clickstream.contract.Durations;
import dev.clickstream.contract.StartupFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import sun.misc.Signal;

/**
 * The clickstream Spark application (DESIGN §1): four streaming queries, each reading the Kafka topic
 * {@code user_activity} (the system's log) with the same parser, each on its own checkpoint
 * {@code ${CHECKPOINT_ROOT}/<query-name>}:
 * <ul>
 *   <li>{@code ingest}: valid events to {@code enriched_activity}, malformed records with their reason to the
 *       dead-letter topic (Kafka -> Kafka, stateless; at least once), under TRIGGER_INTERVAL or in Spark's real-time
 *       mode (INGEST_MODE, {@link IngestMode});</li>
 *   <li>{@code lake}: valid events to the Delta table, one idempotent commit per micro-batch, on
 *       LAKE_TRIGGER_INTERVAL (exactly once for every reader);</li>
 *   <li>{@code analytics}: the six windowed tables from one deduplicated aggregation, upserted into Postgres;</li>
 *   <li>{@code user-sessions}: sessions with a 15-minute inactivity timeout, upserted into Postgres.</li>
 * </ul>
 * {@link #queries()} lists them, one line each; {@link QuerySupervisor} starts, watches and stops them;
 * {@link StartupChecks} refuses what this version cannot use.
 *
 * <p>Start-up: settings (exit 2 naming a bad one), Flyway migrations (exit 1 naming the URL when Postgres stays
 * unreachable for 60 s), SparkSession, start-up checks (exit 2 naming a time zone, checkpoint or lake this version
 * cannot use, or the bootstrap servers and SASL mechanism when the brokers refuse the credentials or the ACLs;
 * exit 1 when they do not answer within 60 s), queries. Then it runs until a query fails (the others are stopped,
 * exit 1 with the cause), SIGTERM/SIGINT (queries stopped, exit 0), or, with {@code TRIGGER_INTERVAL=available-now},
 * until every query has processed what was in the topic when it started (exit 0).
 */
public final class ClickstreamPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ClickstreamPipeline.class);

  /** Query names of DESIGN §1: they appear in logs, metrics and checkpoint paths. */
  public static final String INGEST = "ingest";
  public static final String LAKE = "lake";
  public static final String ANALYTICS = "analytics";
  public static final String USER_SESSIONS = "user-sessions";

  /** Every query name, in start order. */
  public static final List<String> QUERIES = List.of(INGEST, LAKE, ANALYTICS, USER_SESSIONS);

  /** The Postgres tables the queries write: the analytics' six and user_sessions. */
  public static final List<String> TABLES = tables();
  /** Every output: the {@code sink} label of {@code clickstream_sink_rows_total} and {@code _errors_total}. */
  public static final List<String> SINKS = sinks();

  private static List<String> tables() {
    List<String> tables = new ArrayList<>();
    for (WindowedAnalytics.Table t : WindowedAnalytics.Table.values()) {
      tables.add(t.tableName());
    }
    tables.add("user_sessions");
    return List.copyOf(tables);
  }

  private static List<String> sinks() {
    List<String> sinks = new ArrayList<>(List.of(IngestSink.ENRICHED, IngestSink.DEAD_LETTER, LakeSink.LAKE));
    sinks.addAll(TABLES);
    return List.copyOf(sinks);
  }

  private final SparkSession spark;
  private final Settings settings;
  private final Set<String> selected;
  private final PipelineMetrics metrics = new PipelineMetrics();
  private final MicroBatchLog microBatchLog = new MicroBatchLog();
  private final KafkaLag kafkaLag;
  private final QueryMetricsListener metricsListener;
  private final QuerySupervisor supervisor;
  /** The ingest query's mode, chosen at {@link #start()} ({@link IngestMode#choose}); micro-batch before. */
  private IngestMode ingestMode = IngestMode.MICRO_BATCH;
  /** The input topic's partitions, known at {@link #start()}. */
  private volatile Set<TopicPartition> inputPartitions = Set.of();

  /**
   * @param spark a session configured by {@link #sessionConfig}
   * @param settings validated settings
   */
  public ClickstreamPipeline(SparkSession spark, Settings settings) {
    this(spark, settings, Set.copyOf(QUERIES));
  }

  /**
   * A pipeline that runs only some of its queries (benchmarks measure them one by one).
   *
   * @param spark a session configured by {@link #sessionConfig}
   * @param settings validated settings
   * @param queries names from {@link #QUERIES}
   * @throws IllegalArgumentException for an unknown query name
   */
  public ClickstreamPipeline(SparkSession spark, Settings settings, Set<String> queries) {
    for (String q : queries) {
      if (!QUERIES.contains(q)) {
        throw new IllegalArgumentException("unknown query " + q + "; known: " + QUERIES);
      }
    }
    this.spark = spark;
    this.settings = settings;
    this.selected = Set.copyOf(queries);
    this.kafkaLag = new KafkaLag(settings.kafkaClient(), settings.metricsLagInterval());
    this.metricsListener = new QueryMetricsListener(metrics, kafkaLag::cachedLatestOffsets)
        .observing(IngestSink.OBSERVATION, row -> IngestSink.record(row, metrics))
        .observing(LakeSink.OBSERVATION, row -> LakeSink.record(row, metrics));
    this.supervisor = new QuerySupervisor(spark, settings::checkpointFor, metrics, settings.stopTimeout(),
        () -> kafkaLag.latestOffsets(inputPartitions));
  }

  /** @return this pipeline's metrics (served on METRICS_PORT while it runs, readable with {@code scrape()} after) */
  public PipelineMetrics metrics() {
    return metrics;
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
    PipelineLauncher launcher;
    try {
      settings = Settings.parse(args, env);
      LOG.info("settings {}", settings.describe());
      launcher = PipelineLauncher.launch(settings);
    } catch (StartupFailure e) { // a bad setting (2), Postgres unreachable or a migration failing (1)
      System.err.println("clickstream: " + e.getMessage());
      return e.exitStatus();
    }
    try (launcher) {
      launcher.pipeline().installSignalHandlers();
      return launcher.runUntilDone();
    }
  }

  /**
   * @param settings validated settings
   * @return the database as the sinks reach it: JDBC_URL as DB_USER, DB_RETRY_TIMEOUT
   */
  static DatabaseConfig database(Settings settings) {
    return new DatabaseConfig(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword(), settings.dbRetryTimeout());
  }

  /**
   * @param settings validated settings
   * @return the database as the schema migrations reach it: JDBC_URL as DB_MIGRATION_USER
   */
  static DatabaseConfig migrationDatabase(Settings settings) {
    return database(settings).as(settings.dbMigrationUser(), settings.dbMigrationPassword());
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
    // collect_set and the HLL sketch aggregate in a hash map of object buffers that Spark turns into a sort of
    // every input row once a task holds more than 128 groups (SQLConf objectHashAggregate.sortBased.
    // fallbackThreshold, internal): the analytics query has thousands (page or product x minute), and the sort
    // cost a third of its CPU. 65,536 groups of small sets fit a task's heap; beyond them Spark falls back to it.
    conf.setIfMissing("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "65536");
    // Spark keeps the classes it generates for a plan in a cache of 100 (StaticSQLConf codegen.cache.maxEntries),
    // keyed by code and by the session's class loader; several queries, each in its own cloned session, need more,
    // and a thrashing cache compiles every plan again each micro-batch (and the JVM JIT-compiles the new classes)
    conf.setIfMissing("spark.sql.codegen.cache.maxEntries", "1000");
    // Delta Lake's SQL extension and catalog (Delta docs, "Configure SparkSession"): CONVERT TO DELTA, ALTER TABLE
    conf.setIfMissing("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    conf.setIfMissing("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    // Delta replays its log with this many partitions (default 50): on a few cores that doubled every Delta write
    // and made a log checkpoint's commit ~4x slower (DESIGN §8); the shuffle partitions' count suits it
    conf.setIfMissing("spark.databricks.delta.snapshotPartitions", conf.get("spark.sql.shuffle.partitions"));
    // Auto compaction rewrites every file under minFileSize (default 64 MB) together with the next small ones, so
    // at a few events/s one growing file was rewritten every few commits, each version kept for the vacuum
    // retention (bench/README.md, "Figures moved out of the code"). At 1 MB a compacted file is left alone after
    // at most a rewrite or two (Delta's DeltaSQLConf autoCompact.minFileSize / maxFileSize).
    conf.setIfMissing("spark.databricks.delta.autoCompact.minFileSize", String.valueOf(1024 * 1024));
    return conf;
  }

  /**
   * The pipeline on one screen: the four queries of DESIGN §1, each source -> transform -> sink, trigger. Every
   * query reads {@code user_activity} through the same parser; Spark gives each query its own Kafka reader.
   *
   * @return the queries, in start order
   */
  List<QuerySpec> queries() {
    Dataset<Row> parsed = EventParser.parse(KafkaSource.read(spark, settings, false), settings.maxEventTimeSkew());
    Dataset<Row> valid = EventParser.validEvents(parsed);
    Dataset<Row> watermarked = valid.withWatermark("event_time", Durations.toSparkInterval(settings.watermarkDelay()));
    DatabaseConfig db = database(settings);
    return List.of(
        ingestMode == IngestMode.REAL_TIME
            ? new QuerySpec(INGEST, EventParser.parse(KafkaSource.read(spark, settings, true), settings.maxEventTimeSkew()),
                ingestSink(), TriggerSpec.realTime(settings.realTimeBatchDuration(), settings.trigger().availableNow()), true)
            : new QuerySpec(INGEST, parsed, ingestSink(), settings.trigger(), true),
        new QuerySpec(LAKE, valid, new LakeSink(new LakeTable(settings.lakeEventsPath()), metrics),
            settings.lakeQueryTrigger(), true),
        new QuerySpec(ANALYTICS, WindowedAnalytics.of(watermarked), new AnalyticsSink(db, metrics), settings.trigger(), false),
        new QuerySpec(USER_SESSIONS, UserSessions.of(watermarked, settings.sessionTimeout()),
            PostgresUpsertSink.userSessions(db, metrics), settings.trigger(), true));
  }

  /**
   * @param spec a query
   * @return the query, its sink wrapped in a {@link FaultHaltingSink} when FAULT_HALT_AFTER_BATCH names it
   * @throws StartupFailure when FAULT_HALT_AFTER_BATCH names a query without a foreachBatch sink, or none
   */
  private QuerySpec faultHalting(QuerySpec spec) {
    Settings.FaultPoint point = settings.faultHaltAfterBatch().orElse(null);
    List<String> halting = List.of(LAKE, ANALYTICS, USER_SESSIONS); // the foreachBatch sinks
    if (point == null) {
      return spec;
    }
    if (!halting.contains(point.query())) {
      throw StartupFailure.badSetting("FAULT_HALT_AFTER_BATCH: " + point.query() + " has no foreachBatch sink to halt "
          + "after; choose one of " + halting);
    }
    if (!point.query().equals(spec.name())) {
      return spec;
    }
    LOG.warn("FAULT_HALT_AFTER_BATCH={}: this JVM halts after the sink wrote that micro-batch (crash tests only)", point);
    return new QuerySpec(spec.name(), spec.rows(), new FaultHaltingSink((ForeachBatchSink) spec.sink(), point),
        spec.trigger(), spec.noDataMicroBatches());
  }

  private IngestSink ingestSink() {
    return new IngestSink(settings.sparkKafkaOptions(), settings.enrichedTopic(), settings.dlqTopic());
  }

  /**
   * Checks what the queries need, chooses the ingest query's mode, then starts every selected query.
   *
   * @throws TimeoutException when Spark cannot start a query
   * @throws StartupFailure naming a time zone, lake or checkpoint this version cannot use, or INGEST_MODE=real-time
   *     with too few task slots
   * @throws StartupFailure when the brokers refuse the client or do not answer
   */
  public void start() throws TimeoutException {
    List<String> names = QUERIES.stream().filter(selected::contains).toList();
    int partitions = StartupChecks.run(spark, settings, names, kafkaLag);
    inputPartitions = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(settings.inputTopic(), p))
        .collect(Collectors.toSet());
    if (selected.contains(INGEST)) {
      Map<String, String> sparkConf = Arrays.stream(spark.sparkContext().getConf().getAll())
          .collect(Collectors.toMap(Tuple2::_1, Tuple2::_2));
      IngestMode.Choice choice;
      try {
        choice = IngestMode.choose(settings.ingestMode(),
            IngestMode.taskSlots(sparkConf, Runtime.getRuntime().availableProcessors()), partitions,
            names.size() > 1 ? IngestMode.OTHER_QUERIES_SLOTS : 0);
      } catch (StartupFailure e) {
        throw StartupFailure.badSetting(e.getMessage());
      }
      LOG.info(choice.reason());
      ingestMode = choice.mode();
    }
    List<QuerySpec> specs = queries().stream().filter(q -> selected.contains(q.name())).map(this::faultHalting).toList();
    // StreamingQuery.stop() waits this long for the query's thread, then throws a TimeoutException (SQLConf
    // spark.sql.streaming.stopTimeout; Spark's default 0 waits for ever); read from this session by stop()
    spark.conf().set("spark.sql.streaming.stopTimeout", settings.stopTimeout().toMillis());
    spark.streams().addListener(microBatchLog);
    spark.streams().addListener(metricsListener);
    metrics.expect(specs.stream().map(QuerySpec::name).toList(), dev.clickstream.contract.EventContract.REASONS, SINKS, TABLES);
    supervisor.start(specs);
  }

  /**
   * Starts the queries and supervises them ({@link QuerySupervisor}): 0 when all have ended (available-now) or
   * were stopped by {@link #stop()}, 1 when one failed, 2 when a start-up check failed or Kafka refused the
   * credentials or ACLs (one line on stderr), 1 when Kafka does not answer (one line), 1 naming the query when one
   * did not stop within STOP_TIMEOUT of being asked to.
   *
   * <p>While it runs, {@code /metrics} is served on METRICS_PORT (unless 0); a port that cannot be bound is one
   * line and exit 1.
   *
   * @return exit status
   */
  public int runUntilDone() {
    if (settings.metricsPort() > 0) {
      try {
        int port = metrics.serve(settings.metricsBindAddress(), settings.metricsPort());
        LOG.info("Prometheus metrics on http://{}:{}/metrics", settings.metricsBindAddress(), port);
      } catch (java.io.IOException e) {
        System.err.println("clickstream: cannot serve metrics on " + settings.metricsBindAddress() + " port "
            + settings.metricsPort() + " (" + e + "): choose a free port (METRICS_PORT; make run: --port-metrics), "
            + "0 for none, or an address of this host (METRICS_BIND_ADDRESS)");
        return 1;
      }
    }
    try {
      try {
        start();
      } catch (StartupFailure e) {
        System.err.println("clickstream: " + e.getMessage());
        stop();
        return e.exitStatus();
      } catch (TimeoutException | RuntimeException e) {
        LOG.error("cannot start the queries", e);
        System.err.println("clickstream: cannot start the queries: " + e);
        stop();
        return 1;
      }
      return supervisor.awaitEnd();
    } finally {
      metrics.close();
      kafkaLag.close();
      supervisor.awaitTerminated();
      try {
        spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
      } catch (Exception e) { // a TimeoutException, undeclared: what is not delivered by now is not counted
        LOG.warn("streaming listener events still queued after 10 s: {}", e.toString());
      }
      spark.streams().removeListener(microBatchLog); // a session may run another pipeline after this one
      spark.streams().removeListener(metricsListener);
    }
  }

  /** Stops every query; see {@link QuerySupervisor#stop()}. */
  public void stop() {
    supervisor.stop();
  }

  /**
   * The libraries whose stop noise {@link #stopOnRequest} silences: a query stopped mid-batch makes Spark log its
   * aborted writes at ERROR, its cancelled tasks and job groups at WARN, and the interrupted tasks' class loading
   * throws inside log4j's appender, each with a stack trace; none of it is a failure.
   */
  static final List<String> STOP_NOISE = List.of("org.apache.spark", "org.sparkproject", "org.apache.kafka",
      "org.apache.hadoop", "io.delta", "org.apache.parquet");

  /**
   * An ordinary stop (SIGTERM, Ctrl-C): the libraries of {@link #STOP_NOISE} are silenced, then every query is
   * stopped; the log keeps one line per query saying it stopped and what a restart replays
   * ({@link QuerySupervisor#stop()}). A failure's stop ({@link #stop()}) keeps every line.
   */
  public void stopOnRequest() {
    for (String name : STOP_NOISE) {
      org.apache.logging.log4j.core.config.Configurator.setLevel(name, org.apache.logging.log4j.Level.OFF);
    }
    supervisor.stop();
  }

  /** @return the ingest query's mode, as {@link #start()} chose it */
  public IngestMode ingestMode() {
    return ingestMode;
  }

  /** @return queries that did not stop within STOP_TIMEOUT when they were asked to */
  public List<String> stuckQueries() {
    return supervisor.stuckQueries();
  }


  /** SIGTERM and SIGINT stop the queries (Kubernetes sends SIGTERM to a pod it stops). */
  void installSignalHandlers() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          LOG.info("SIG{} received: stopping the queries", name);
          new Thread(this::stopOnRequest, "clickstream-stop").start();
        });
      } catch (IllegalArgumentException e) {
        // signal not available on this platform
      }
    }
  }
}
