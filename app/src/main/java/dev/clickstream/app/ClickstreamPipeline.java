package dev.clickstream.app;

import dev.clickstream.app.analytics.ActiveUsers;
import dev.clickstream.app.analytics.CommerceAnalytics;
import dev.clickstream.app.analytics.PageViewCounts;
import dev.clickstream.app.analytics.UserSessions;
import dev.clickstream.app.config.Durations;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.config.SettingsException;
import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.metrics.QueryMetricsListener;
import dev.clickstream.app.sink.CommerceSink;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.FaultHook;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.sink.KafkaTopicWriter;
import dev.clickstream.app.sink.LakeMaintenance;
import dev.clickstream.app.sink.LakeTable;
import dev.clickstream.app.sink.PostgresUpsertSink;
import dev.clickstream.app.sink.SchemaMigrations;
import dev.clickstream.app.sink.StreamSink;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.KafkaAccessCheck;
import dev.clickstream.app.source.KafkaSource;
import dev.clickstream.app.source.LakeSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The clickstream Spark application (DESIGN §1): {@code ingest} reads and parses Kafka once and writes the lake
 * (a Delta table), {@code enriched_activity} and the dead-letter topic; the stateful queries read the lake table.
 * Each query has its own checkpoint {@code ${CHECKPOINT_ROOT}/<query-name>}.
 *
 * <p>How a query that reads the lake starts:
 * <ul>
 *   <li>on its checkpoint, where it stopped;</li>
 *   <li>with a fresh checkpoint on a table that has rows (a rebuild: a deleted checkpoint, a new query): first
 *       the whole table as <em>one</em> micro-batch ({@code Trigger.AvailableNow} without a file limit), then as
 *       usual. Within a micro-batch Spark filters late rows by the watermark of the previous one, so nothing of
 *       the lake's history is dropped as late: the result is that of a run that saw every event on time. (Delta's
 *       documented {@code withEventTimeOrder} would do it in event-time slices, but open-source Delta 4.1.0 does
 *       not implement it: the option is not read anywhere in its source.)</li>
 *   <li>with a fresh checkpoint on an empty table (a first start): from the table's commits as they come.</li>
 * </ul>
 *
 * <p>Start-up: settings (exit 2 naming a bad one), Flyway migrations (exit 1 naming the URL when Postgres stays
 * unreachable for 60 s), SparkSession, the lake table (created, or converted from an older version's Parquet
 * lake), checkpoint checks (exit 2 naming a checkpoint this version cannot use), a Kafka access check (exit 2 naming the
 * bootstrap servers and the SASL mechanism when the brokers refuse the credentials or the ACLs, exit 1 when they do
 * not answer within 60 s; {@link KafkaAccessCheck}), queries. Then it runs until a
 * query fails (the others are stopped, exit 1 with the cause), SIGTERM/SIGINT (queries stopped, exit 0), or, with
 * {@code TRIGGER_INTERVAL=available-now}, until {@code ingest} has processed what was in the topic and every lake
 * query has processed the whole table (exit 0).
 */
public final class ClickstreamPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ClickstreamPipeline.class);

  /** Query names of DESIGN §1: they appear in logs, metrics and checkpoint paths. */
  public static final String INGEST = "ingest";
  public static final String PAGE_VIEW_COUNTS = "page-view-counts";
  public static final String ACTIVE_USERS = "active-users";
  public static final String USER_SESSIONS = "user-sessions";
  /** The commerce query: product_activity, category_revenue, conversion_funnel, traffic_by_segment. */
  public static final String COMMERCE = "commerce";

  /** Every query name, in start order. */
  public static final List<String> QUERIES = List.of(INGEST, PAGE_VIEW_COUNTS, ACTIVE_USERS, USER_SESSIONS, COMMERCE);

  /** Every output: the {@code sink} label of {@code clickstream_sink_rows_total} and {@code _errors_total}. */
  public static final List<String> SINKS = List.of(IngestSink.LAKE, IngestSink.ENRICHED, IngestSink.DEAD_LETTER,
      "page_view_counts", "active_users", "user_sessions", "product_activity", "category_revenue", "conversion_funnel",
      "traffic_by_segment");

  /** Restarts allowed per query for the Spark 4.1.1 Kafka metrics bug (see {@link #isKafkaMetricsBug}). */
  static final int METRICS_BUG_RESTARTS = 3;
  /** Trigger of the lake queries while an available-now ingest is still writing. */
  static final Duration FOLLOW_INTERVAL = Duration.ofSeconds(1);

  /** How a query runs now: see the class comment. */
  enum Phase {
    /** ingest, with the configured trigger */
    INGEST,
    /** a lake query's whole table in one micro-batch (AvailableNow, no file limit), then FOLLOW */
    REBUILD,
    /** a lake query with the configured trigger (1 s in available-now mode while ingest runs) */
    FOLLOW,
    /** a lake query's last pass in available-now mode (AvailableNow with the file limit) */
    FINISH
  }

  /** One query of the pipeline and its running instance. */
  private final class Managed {
    final String name;
    final Function<Integer, Dataset<Row>> rows; // max files per trigger -> result rows (ingest ignores it)
    final StreamSink sink;
    Phase phase;
    StreamingQuery query;
    int metricsBugRestarts;
    boolean done;

    Managed(String name, Function<Integer, Dataset<Row>> rows, StreamSink sink) {
      this.name = name;
      this.rows = rows;
      this.sink = sink;
    }

    void start(Phase next) throws TimeoutException {
      phase = next;
      boolean availableNow = settings.trigger().availableNow();
      Trigger trigger;
      if (next == Phase.REBUILD || next == Phase.FINISH || (next == Phase.INGEST && availableNow)) {
        trigger = Trigger.AvailableNow();
      } else {
        trigger = Trigger.ProcessingTime((availableNow ? FOLLOW_INTERVAL : settings.trigger().interval()).toMillis());
      }
      metrics.triggerInterval(name, trigger instanceof org.apache.spark.sql.execution.streaming.ProcessingTimeTrigger t
          ? t.intervalMs() / 1000.0 : 0);
      int maxFiles = next == Phase.REBUILD ? Integer.MAX_VALUE : settings.lakeMaxFilesPerTrigger();
      LOG.info("query={} starting: {}", name, next.name().toLowerCase(java.util.Locale.ROOT));
      DataStreamWriter<Row> writer = sink.writer(rows.apply(maxFiles))
          .queryName(name)
          .option("checkpointLocation", settings.checkpointFor(name))
          .trigger(trigger);
      query = WITHOUT_NO_DATA_BATCHES.contains(name) ? startWithoutNoDataBatches(writer) : writer.start();
    }
  }

  /**
   * Lake queries that run no micro-batch without data. After a micro-batch that moves the watermark, Spark runs one
   * more without input to evict state and fire timeouts ({@code spark.sql.streaming.noDataMicroBatches.enabled},
   * SQLConf, default true). In an update-mode aggregation that micro-batch changes no row (the counts were upserted
   * when they changed; eviction only drops keys the watermark has passed), yet on 2 cores it took as long as one
   * with data (make bench, README "What this says"). Without it the next micro-batch with data evicts them instead,
   * with the same watermark, so every output row is the same; only the state store holds the evicted keys a
   * micro-batch longer. {@code user-sessions} keeps them: its timeouts end sessions when input stops.
   */
  static final Set<String> WITHOUT_NO_DATA_BATCHES = Set.of(PAGE_VIEW_COUNTS, ACTIVE_USERS, COMMERCE);

  /** Spark's switch for micro-batches without data (SQLConf STREAMING_NO_DATA_MICRO_BATCHES_ENABLED). */
  static final String NO_DATA_BATCHES = "spark.sql.streaming.noDataMicroBatches.enabled";

  /**
   * Starts a query whose micro-batches run only with new data. A query reads this setting from its own copy of the
   * session, made when it starts (StreamExecution clones the session in its constructor) and not kept in the
   * checkpoint: it is set for the start only, then the session's value is put back.
   *
   * @param writer the query, ready to start
   * @return the started query
   * @throws TimeoutException when Spark cannot start it
   */
  private StreamingQuery startWithoutNoDataBatches(DataStreamWriter<Row> writer) throws TimeoutException {
    synchronized (spark) {
      String before = spark.conf().get(NO_DATA_BATCHES, null);
      spark.conf().set(NO_DATA_BATCHES, false);
      try {
        return writer.start();
      } finally {
        if (before == null) {
          spark.conf().unset(NO_DATA_BATCHES);
        } else {
          spark.conf().set(NO_DATA_BATCHES, before);
        }
      }
    }
  }

  private final SparkSession spark;
  private final Settings settings;
  private final Set<String> selected;
  private final LakeTable lake;
  private final Map<String, Managed> managed = new LinkedHashMap<>();
  private final MicroBatchLog microBatchLog = new MicroBatchLog();
  private final PipelineMetrics metrics = new PipelineMetrics();
  private final KafkaLag kafkaLag;
  private final QueryMetricsListener metricsListener;
  private volatile boolean stopRequested;
  /** FAULT_HALT_AFTER_BATCH's listener, or null. */
  private FaultHook faultHook;
  /** Queries that did not stop within STOP_TIMEOUT (their thread may still run). */
  private final List<String> stuck = new java.util.concurrent.CopyOnWriteArrayList<>();

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
    this.lake = new LakeTable(settings.lakeEventsPath());
    this.kafkaLag = new KafkaLag(settings.kafkaClient());
    this.metricsListener = new QueryMetricsListener(metrics, kafkaLag::latestOffsets);
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
    ClickstreamPipeline pipeline = new ClickstreamPipeline(spark, settings);
    try (LakeMaintenance maintenance = LakeMaintenance.schedule(spark, new LakeTable(settings.lakeEventsPath()),
        settings.lakeVacuumRetention(), settings.lakeMaintenanceInterval())) {
      pipeline.installSignalHandlers();
      return pipeline.runUntilDone();
    } finally {
      if (pipeline.stuckQueries().isEmpty()) {
        spark.stop();
      } // else the JVM exits with the query's thread still running: stopping Spark could wait for it for ever
    }
  }

  private static DatabaseConfig database(Settings settings) {
    return new DatabaseConfig(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword(), settings.dbRetryTimeout());
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
    // fallbackThreshold, internal): the commerce query has thousands (product x minute), and the sort was ~1/3 of
    // its CPU. 65,536 groups of small sets fit a task's heap; beyond them Spark still falls back to the sort.
    conf.setIfMissing("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "65536");
    // Spark keeps the classes it generates for a plan in a cache of 100 (StaticSQLConf codegen.cache.maxEntries),
    // keyed by code and by the session's class loader; five queries, each in its own cloned session, need ~2-4
    // times that, so every micro-batch compiled its plans again (~9 Janino compiles/s at 5,000 events/s) and the
    // JVM kept JIT-compiling the new classes (a third of the CPU). With 1,000: ~0.8 compiles/s, JIT CPU -45%.
    conf.setIfMissing("spark.sql.codegen.cache.maxEntries", "1000");
    // Delta Lake's SQL extension and catalog (Delta docs, "Configure SparkSession"): CONVERT TO DELTA, ALTER TABLE
    conf.setIfMissing("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    conf.setIfMissing("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    // Delta replays its log with this many partitions (default 50): on a few cores that doubled every Delta write
    // and made a log checkpoint's commit ~4x slower (DESIGN §8); the shuffle partitions' count suits it
    conf.setIfMissing("spark.databricks.delta.snapshotPartitions", conf.get("spark.sql.shuffle.partitions"));
    // Auto compaction rewrites every file under minFileSize (default 64 MB) together with the next small ones, so
    // at a few events/s one growing file was rewritten every ~13 commits and each version kept for the vacuum
    // retention: 43 MB on disk for 5 MB of rows after 30 min of make run. At 1 MB a compacted file is left alone
    // after at most a rewrite or two (Delta's DeltaSQLConf autoCompact.minFileSize / maxFileSize).
    conf.setIfMissing("spark.databricks.delta.autoCompact.minFileSize", String.valueOf(1024 * 1024));
    return conf;
  }

  /**
   * Prepares the lake and the checkpoints, then starts every selected query. The whole system on one screen:
   * Kafka -> parse -> ingest; lake -> one line per stateful query.
   *
   * @throws TimeoutException when Spark cannot start a query
   * @throws StartupException naming a lake or checkpoint this version cannot use
   * @throws KafkaAccessCheck.Failure when the brokers refuse the client or do not answer (ingest only)
   */
  public void start() throws TimeoutException {
    requireUtc(spark.conf().get("spark.sql.session.timeZone"));
    // StreamingQuery.stop() waits this long for the query's thread, then throws a TimeoutException (SQLConf
    // spark.sql.streaming.stopTimeout; Spark's default 0 waits for ever); read from this session by stop()
    spark.conf().set("spark.sql.streaming.stopTimeout", settings.stopTimeout().toMillis());
    settings.faultHaltAfterBatch().ifPresent(point -> {
      if (!QUERIES.contains(point.query())) {
        throw new StartupException("FAULT_HALT_AFTER_BATCH: unknown query " + point.query() + "; known: " + QUERIES);
      }
      LOG.warn("FAULT_HALT_AFTER_BATCH={}: this JVM halts after the sink wrote that micro-batch (crash tests only)", point);
      faultHook = FaultHook.arm(point);
      spark.streams().addListener(faultHook);
    });
    if (selected.contains(INGEST)) {
      requireSameInputTopic(Path.of(settings.checkpointFor(INGEST)));
      KafkaAccessCheck.check(settings.kafkaClient(), settings.kafkaSecurity().describe(),
          List.of(settings.inputTopic(), settings.enrichedTopic(), settings.dlqTopic()), KafkaAccessCheck.DEFAULT_TIMEOUT);
    }
    prepareLake();
    spark.streams().addListener(microBatchLog);
    spark.streams().addListener(metricsListener);
    metrics.expect(QUERIES.stream().filter(selected::contains).toList(), EventParser.REASONS, SINKS);
    DatabaseConfig db = database(settings);
    Map<String, String> kafka = settings.sparkKafkaOptions();

    IngestSink fanOut = new IngestSink(lake, KafkaTopicWriter.json(kafka, settings.enrichedTopic(), "user_id"),
        KafkaTopicWriter.raw(kafka, settings.dlqTopic())).reportingTo(metrics);
    microBatchLog.addDetail(INGEST, fanOut::describe);
    ingest(INGEST, EventParser.parse(KafkaSource.read(spark, settings, ingestStartingOffsets()), settings.maxEventTimeSkew()), fanOut);
    fromLake(PAGE_VIEW_COUNTS, PageViewCounts.COLUMNS, PageViewCounts::of,
        PostgresUpsertSink.pageViewCounts(db).reportingTo(metrics));
    fromLake(ACTIVE_USERS, ActiveUsers.COLUMNS, ActiveUsers::of, PostgresUpsertSink.activeUsers(db).reportingTo(metrics));
    fromLake(USER_SESSIONS, UserSessions.COLUMNS, events -> UserSessions.of(events, settings.sessionTimeout()),
        PostgresUpsertSink.userSessions(db).reportingTo(metrics));
    fromLake(COMMERCE, CommerceAnalytics.COLUMNS, CommerceAnalytics::of, new CommerceSink(db).reportingTo(metrics));
  }

  private void ingest(String name, Dataset<Row> parsed, StreamSink sink) throws TimeoutException {
    if (selected.contains(name)) {
      Managed m = new Managed(name, ignored -> parsed, sink);
      managed.put(name, m);
      m.start(Phase.INGEST);
    }
  }

  private void fromLake(String name, String[] columns, Function<Dataset<Row>, Dataset<Row>> analytic, StreamSink sink)
      throws TimeoutException {
    if (!selected.contains(name)) {
      return;
    }
    String watermark = Durations.toSparkInterval(settings.watermarkDelay());
    Managed m = new Managed(name, maxFiles -> analytic.apply(
        LakeSource.read(spark, lake.path(), maxFiles, columns).withWatermark("event_time", watermark)), sink);
    managed.put(name, m);
    boolean fresh = Checkpoints.isFresh(Path.of(settings.checkpointFor(name)));
    if (fresh && lake.hasFiles(spark)) {
      LOG.info("query={} has a fresh checkpoint and the lake has rows: rebuilding its results from the whole lake", name);
      m.start(Phase.REBUILD);
    } else {
      m.start(afterRebuild());
    }
  }

  /** The phase of a lake query after its rebuild (or instead of one). */
  private Phase afterRebuild() {
    boolean ingestRunning = managed.containsKey(INGEST) && !managed.get(INGEST).done;
    return settings.trigger().availableNow() && !ingestRunning ? Phase.FINISH : Phase.FOLLOW;
  }

  /**
   * Timestamps are UTC by contract (DESIGN §3-§4): the lake's {@code event_date} partitions are the event time's
   * date in the session time zone, so another zone (set through {@code sparkConf}, say) would file events under
   * other dates than every other reader computes.
   *
   * @param sessionTimeZone {@code spark.sql.session.timeZone}
   * @throws StartupException naming it when it is not UTC (UTC, Etc/UTC, GMT, Z, +00:00 are)
   */
  static void requireUtc(String sessionTimeZone) {
    boolean utc;
    try {
      utc = java.time.ZoneId.of(sessionTimeZone).normalized().equals(java.time.ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      utc = false;
    }
    if (!utc) {
      throw new StartupException("spark.sql.session.timeZone is " + sessionTimeZone + ", but event_date partitions and "
          + "timestamps are UTC by contract: remove that setting or set it to UTC");
    }
  }

  /**
   * A topic that was deleted and re-created (a new cluster with the old checkpoints, e.g. after
   * {@code make down && make kind-up}) starts again at offset 0, below what the ingest checkpoint has read: Spark
   * would then fail every start with {@code PARTITION_OFFSET_CHANGED}, for good. Detected here, with what to do;
   * never silently re-read from 0. Skipped when the brokers do not answer (the query then reports that).
   *
   * @param checkpoint the ingest checkpoint
   * @throws StartupException naming the checkpoint and the command that resets it, when a partition of the topic
   *     now ends below the offset the checkpoint's last committed micro-batch read up to
   */
  private void requireSameInputTopic(Path checkpoint) {
    var read = Checkpoints.lastCommittedOffsets(checkpoint).map(KafkaLag::parseOffsets).orElse(Map.of());
    var latest = kafkaLag.latestOffsets(read.keySet());
    for (var e : read.entrySet()) {
      Long end = latest.get(e.getKey());
      if (end != null && end < e.getValue()) {
        throw new StartupException("topic " + e.getKey().topic() + " partition " + e.getKey().partition() + " ends at offset "
            + end + ", but checkpoint " + checkpoint + " has read it up to " + e.getValue() + ": the topic was deleted and "
            + "re-created; to read the new topic from its start, delete that checkpoint: rm -r " + checkpoint);
      }
    }
  }

  /**
   * The lake table exists before any query reads it; old checkpoints are reported or refused, never half-used.
   */
  private void prepareLake() {
    for (String name : QUERIES) {
      Path checkpoint = Path.of(settings.checkpointFor(name));
      if (!name.equals(INGEST) && selected.contains(name) && Checkpoints.readsKafka(checkpoint)) {
        throw new StartupException("checkpoint " + checkpoint + " was written when " + name + " read Kafka directly; "
            + "this version reads the lake: delete it (rm -r " + checkpoint + ") and the query rebuilds its results from the lake");
      }
    }
    for (String retired : Checkpoints.RETIRED_QUERIES) {
      Path checkpoint = Path.of(settings.checkpointFor(retired));
      if (java.nio.file.Files.isDirectory(checkpoint)) {
        LOG.warn("checkpoint {} belongs to the query {}, which this version no longer runs (ingest writes the lake, "
            + "enriched_activity and the dead-letter topic): not used; delete it when the lake is converted", checkpoint, retired);
      }
    }
    try {
      String outcome = lake.ensure(spark, settings.lakeVacuumRetention());
      LOG.info("lake table {}: {}", lake.path(), outcome);
    } catch (LakeTable.LakeException e) {
      throw new StartupException(e.getMessage());
    }
  }

  /**
   * Where a fresh ingest checkpoint starts: STARTING_OFFSETS, except after an older version whose
   * {@code raw-lake} query wrote the (now converted) lake: then where that query's last committed micro-batch
   * ended, so that the converted lake gets no event twice.
   */
  private String ingestStartingOffsets() {
    Path ingest = Path.of(settings.checkpointFor(INGEST));
    if (!Checkpoints.isFresh(ingest)) {
      return settings.startingOffsets();
    }
    return Checkpoints.lastCommittedOffsets(Path.of(settings.checkpointFor(Checkpoints.RAW_LAKE)))
        .map(offsets -> {
          LOG.info("ingest continues where the earlier raw-lake query stopped: {}", offsets);
          return offsets;
        })
        .orElse(settings.startingOffsets());
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
   * Starts the queries and supervises them: returns 1 as soon as one fails (after stopping the others), 0 when
   * all have ended (available-now) or were stopped by {@link #stop()}, 2 when the lake or a checkpoint cannot be
   * used or Kafka refuses the credentials or ACLs (one line on stderr), 1 when Kafka does not answer (one line), 1
   * naming the query when one did not stop within STOP_TIMEOUT of being asked to.
   *
   * <p>While it runs, {@code /metrics} is served on METRICS_PORT (unless 0); a port that cannot be bound is one
   * line and exit 1.
   *
   * @return exit status
   */
  public int runUntilDone() {
    if (settings.metricsPort() > 0) {
      try {
        int port = metrics.serve(settings.metricsPort());
        LOG.info("Prometheus metrics on http://0.0.0.0:{}/metrics", port);
      } catch (java.io.IOException e) {
        System.err.println("clickstream: cannot serve metrics on port " + settings.metricsPort() + " (" + e.getMessage()
            + "): choose a free port (METRICS_PORT; make run: --port-metrics), or 0 for none");
        return 1;
      }
    }
    try {
      return supervise();
    } finally {
      metrics.close();
      kafkaLag.close();
      // a query is inactive before it posts its termination event, and posts it before awaitTermination returns;
      // then the last progress and termination events are delivered from Spark's listener bus
      for (Managed m : managed.values()) {
        try {
          if (m.query != null) {
            m.query.awaitTermination(10_000);
          }
        } catch (Exception e) { // the query's own failure, reported above
          LOG.debug("query {} ended with {}", m.name, e.toString());
        }
      }
      try {
        spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
      } catch (Exception e) { // a TimeoutException, undeclared: what is not delivered by now is not counted
        LOG.warn("streaming listener events still queued after 10 s: {}", e.toString());
      }
      spark.streams().removeListener(microBatchLog); // a session may run another pipeline after this one
      spark.streams().removeListener(metricsListener);
      if (faultHook != null) {
        spark.streams().removeListener(faultHook);
        FaultHook.disarm();
      }
    }
  }

  private int supervise() {
    try {
      start();
    } catch (StartupException e) {
      System.err.println("clickstream: " + e.getMessage());
      stop();
      return 2;
    } catch (KafkaAccessCheck.Failure e) {
      System.err.println("clickstream: " + e.getMessage());
      stop();
      return e.refused() ? 2 : 1;
    } catch (TimeoutException | RuntimeException e) {
      LOG.error("cannot start the queries", e);
      System.err.println("clickstream: cannot start the queries: " + e);
      stop();
      return 1;
    }
    try {
      while (true) {
        if (!stuck.isEmpty()) {
          return stuckExit();
        }
        // reset first, then look at every query: a query that ends during the scan is seen by the next one
        spark.streams().resetTerminated();
        boolean running = false;
        for (Managed m : List.copyOf(managed.values())) {
          if (m.query.isActive()) {
            running = true;
          } else if (!m.done) {
            Integer failed = onTerminated(m);
            if (failed != null) {
              return failed;
            }
            running |= m.query.isActive();
          }
        }
        if (!running) {
          break;
        }
        try {
          spark.streams().awaitAnyTermination(1_000);
        } catch (StreamingQueryException e) {
          // seen from the query itself in the next scan
        }
      }
    } catch (TimeoutException | RuntimeException e) {
      LOG.error("cannot start a query", e);
      System.err.println("clickstream: cannot start a query: " + e);
      stop();
      return 1;
    }
    LOG.info(stopRequested ? "stopped on request" : "all queries done");
    return 0;
  }

  /**
   * A query has terminated: restart it in its next phase, or mark it done.
   *
   * @return an exit status when the pipeline must end now, else null
   */
  private Integer onTerminated(Managed m) throws TimeoutException {
    StreamingQuery q = m.query;
    if (q.exception().isDefined()) {
      if (isKafkaMetricsBug(q.exception().get()) && !stopRequested && ++m.metricsBugRestarts <= METRICS_BUG_RESTARTS) {
        LOG.warn("query {} hit SPARK-55271 (Kafka source metrics after a replayed micro-batch): restarting it", m.name);
        synchronized (managed) { // stop() must see the restarted query, or not race with it at all
          if (!stopRequested) {
            m.start(m.phase);
          }
        }
        return null;
      }
      if (stopRequested && isKafkaMetricsBug(q.exception().get())) {
        m.done = true; // stopping anyway, and the replayed micro-batch is committed: not a failure
        return null;
      }
      String cause = rootCause(q.exception().get());
      LOG.error("query {} failed, stopping the others: {}", m.name, cause);
      System.err.println("clickstream: query " + m.name + " failed: " + cause);
      stop();
      return stuck.isEmpty() ? 1 : stuckExit();
    }
    if (stopRequested) {
      m.done = true;
      return null;
    }
    List<Managed> following = new ArrayList<>();
    synchronized (managed) {
      if (stopRequested) {
        m.done = true;
        return null;
      }
      switch (m.phase) {
        case REBUILD -> m.start(afterRebuild());
        case INGEST -> {
          m.done = true; // available-now: the topic is processed; the lake queries take what ingest committed
          managed.values().stream().filter(o -> o.phase == Phase.FOLLOW && o.query.isActive()).forEach(following::add);
        }
        case FOLLOW, FINISH -> m.done = true;
      }
    }
    for (Managed other : following) {
      try {
        other.query.processAllAvailable(); // fewer replayed rows than stopping it mid-batch; outside the lock: stop() may come
      } catch (Exception e) { // a StreamingQueryException, which Scala throws undeclared
        continue; // its failure is handled in the next scan
      }
      synchronized (managed) {
        if (!stopRequested) {
          other.query.stop();
          other.start(Phase.FINISH); // AvailableNow: the rest (user-sessions: then the no-data batch of the final watermark)
        }
      }
    }
    return null;
  }

  /**
   * Stops every query (each finishes or abandons its current micro-batch; the checkpoint stays consistent). A
   * query whose thread does not end within STOP_TIMEOUT is given up on: it is named in {@link #stuckQueries()},
   * and {@link #runUntilDone()} returns 1 naming it.
   */
  public void stop() {
    List<Managed> running;
    synchronized (managed) {
      stopRequested = true;
      running = List.copyOf(managed.values());
    }
    stuck.addAll(stopAll(running.stream().map(m -> m.query).filter(java.util.Objects::nonNull).toList()));
  }

  /**
   * Stops queries one after the other, each within Spark's {@code spark.sql.streaming.stopTimeout} (of the
   * session that started it, read when it is stopped).
   *
   * @param queries the queries
   * @return the names of those whose thread did not end within that time (Spark threw a TimeoutException)
   */
  static List<String> stopAll(List<StreamingQuery> queries) {
    List<String> notStopped = new ArrayList<>();
    for (StreamingQuery q : queries) {
      try {
        q.stop();
      } catch (TimeoutException e) {
        LOG.error("query {} did not stop within the stop timeout: {}", q.name(), e.getMessage());
        notStopped.add(q.name());
      } catch (RuntimeException e) {
        LOG.warn("query {} did not stop cleanly: {}", q.name(), e.toString());
      }
    }
    return notStopped;
  }

  /** @return queries that did not stop within STOP_TIMEOUT when they were asked to */
  public List<String> stuckQueries() {
    return List.copyOf(stuck);
  }

  private int stuckExit() {
    System.err.println("clickstream: query " + String.join(", ", stuck) + " did not stop within "
        + settings.stopTimeout().toSeconds() + " s (STOP_TIMEOUT): exiting without it; its micro-batch is not "
        + "committed and runs again at the next start");
    return 1;
  }

  /** The lake or a checkpoint cannot be used by this version; the message is one line saying what to do. */
  public static final class StartupException extends RuntimeException {
    /** @param message one line */
    public StartupException(String message) {
      super(message);
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
