package dev.clickstream.app;

import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.metrics.QueryMetricsListener;
import dev.clickstream.app.sink.FaultHaltingSink;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.sink.LakeSink;
import dev.clickstream.contract.ResultTable;
import dev.clickstream.contract.EventContract;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.StartupFailure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The pipeline's runtime: checks what the queries need, starts the queries of {@link PipelineTopology}, watches
 * them and stops them ({@link QuerySupervisor}), and serves their metrics. It runs until a query fails (the others
 * are stopped, exit 1 with the cause), {@link #stop()} or {@link #stopOnRequest()} (exit 0), or, with
 * {@code TRIGGER_INTERVAL=available-now}, until every query has processed what was in the topic when it started
 * (exit 0).
 */
public final class PipelineRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRuntime.class);

  /** Every output: the {@code sink} label of {@code clickstream_sink_rows_total} and {@code _errors_total}. */
  public static final List<String> SINKS = sinks();

  private static List<String> sinks() {
    List<String> sinks = new ArrayList<>(List.of(IngestSink.ENRICHED, IngestSink.DEAD_LETTER, LakeSink.LAKE));
    sinks.addAll(ResultTable.names(ResultTable.results()));
    return List.copyOf(sinks);
  }

  private final SparkSession spark;
  private final Settings settings;
  private final Set<Query> selected;
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
   * The whole pipeline.
   *
   * @param spark a session configured by {@link SparkSessionConfig#of}
   * @param settings validated settings
   */
  public PipelineRuntime(SparkSession spark, Settings settings) {
    this(spark, settings, EnumSet.allOf(Query.class));
  }

  /**
   * A pipeline that runs only some of its queries (benchmarks measure them one by one).
   *
   * @param spark a session configured by {@link SparkSessionConfig#of}
   * @param settings validated settings
   * @param queries the queries to run
   */
  public PipelineRuntime(SparkSession spark, Settings settings, Set<Query> queries) {
    this.spark = spark;
    this.settings = settings;
    this.selected = queries.isEmpty() ? Set.of() : EnumSet.copyOf(queries);
    this.kafkaLag = new KafkaLag(settings.kafkaClient(), settings.metrics().lagInterval());
    this.metricsListener = new QueryMetricsListener(metrics, kafkaLag::cachedLatestOffsets)
        .observing(IngestSink.OBSERVATION, row -> IngestSink.record(row, metrics))
        .observing(LakeSink.OBSERVATION, row -> LakeSink.record(row, metrics));
    this.supervisor = new QuerySupervisor(spark, metrics, settings.triggers().stopTimeout(),
        () -> kafkaLag.latestOffsets(inputPartitions));
  }

  /** @return this pipeline's metrics (served on METRICS_PORT while it runs, readable with {@code scrape()} after) */
  public PipelineMetrics metrics() {
    return metrics;
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
    List<Query> queries = Arrays.stream(Query.values()).filter(selected::contains).toList();
    int partitions = StartupChecks.run(spark, settings, queries, kafkaLag);
    inputPartitions = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(settings.kafka().inputTopic(), p))
        .collect(Collectors.toSet());
    if (selected.contains(Query.INGEST)) {
      Map<String, String> sparkConf = Arrays.stream(spark.sparkContext().getConf().getAll())
          .collect(Collectors.toMap(Tuple2::_1, Tuple2::_2));
      IngestMode.Choice choice;
      try {
        choice = IngestMode.choose(settings.triggers().ingestMode(),
            IngestMode.taskSlots(sparkConf, Runtime.getRuntime().availableProcessors()), partitions,
            queries.size() > 1 ? IngestMode.OTHER_QUERIES_SLOTS : 0);
      } catch (StartupFailure e) {
        throw StartupFailure.badSetting(e.getMessage());
      }
      LOG.info(choice.reason());
      ingestMode = choice.mode();
    }
    List<QuerySpec> specs = new PipelineTopology(spark, settings, metrics).queries(ingestMode).stream()
        .filter(q -> selected.contains(q.query()))
        .map(q -> q.withSink(FaultHaltingSink.around(q.query(), q.sink(), settings.faultHaltAfterBatch())))
        .toList();
    settings.faultHaltAfterBatch().filter(p -> selected.contains(p.query())).ifPresent(p -> LOG.warn(
        "FAULT_HALT_AFTER_BATCH={}: this JVM halts after the sink wrote that micro-batch (crash tests only)", p));
    // StreamingQuery.stop() waits this long for the query's thread, then throws a TimeoutException (SQLConf
    // spark.sql.streaming.stopTimeout; Spark's default 0 waits for ever); read from this session by stop()
    spark.conf().set("spark.sql.streaming.stopTimeout", settings.triggers().stopTimeout().toMillis());
    spark.streams().addListener(microBatchLog);
    spark.streams().addListener(metricsListener);
    metrics.expect(specs.stream().map(q -> q.query().queryName()).toList(), EventContract.REASONS, SINKS,
        ResultTable.names(ResultTable.results()));
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
    if (settings.metrics().port() > 0) {
      try {
        int port = metrics.serve(settings.metrics().bindAddress(), settings.metrics().port());
        LOG.info("Prometheus metrics on http://{}:{}/metrics", settings.metrics().bindAddress(), port);
      } catch (java.io.IOException e) {
        System.err.println("clickstream: cannot serve metrics on " + settings.metrics().bindAddress() + " port "
            + settings.metrics().port() + " (" + e + "): choose a free port (METRICS_PORT; make run: --port-metrics), "
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

  /**
   * @param query a query of this pipeline
   * @return its Spark query as last started (after a restart, the restarted one), or empty before it started
   */
  public Optional<StreamingQuery> streamingQuery(Query query) {
    return supervisor.streamingQuery(query);
  }

  /** @return queries that did not stop within STOP_TIMEOUT when they were asked to */
  public List<Query> stuckQueries() {
    return supervisor.stuckQueries();
  }
}
