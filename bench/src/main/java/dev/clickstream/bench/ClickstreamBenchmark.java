package dev.clickstream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.clickstream.app.PipelineRuntime;
import dev.clickstream.app.SparkSessionConfig;
import dev.clickstream.app.PipelineLauncher;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.ResultTable;
import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.InputTopic;
import dev.clickstream.app.source.KafkaSource;
import dev.clickstream.contract.Durations;
import dev.clickstream.producer.KafkaSink;
import dev.clickstream.producer.TrafficGenerator;
import dev.clickstream.producer.TrafficProfile;
import dev.clickstream.testkit.Directories;
import dev.clickstream.testkit.KafkaBroker;
import dev.clickstream.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * Throughput against the machine's own ceiling, then latency at fixed input rates, in one run with the in-process
 * broker and embedded Postgres:
 * <ol>
 *   <li>pre-produce N events (the producer's mix: every 50th late by 5 min, every 500th malformed) into a
 *       4-partition topic: producer events/s;</li>
 *   <li>a plain KafkaConsumer reads them all: the ceiling, events/s;</li>
 *   <li>a profile: Spark's Kafka source alone, source + parse (noop sink);</li>
 *   <li>after one unmeasured warm-up run, each query alone over that topic with available-now: events/s and ratio
 *       to the ceiling;</li>
 *   <li>all queries together: events/s and ratio;</li>
 *   <li>all queries at fixed input rates with a processing-time trigger, the ingest query in micro-batch mode
 *       (--rates) and in real-time mode (--real-time-rates), Spark local[6] ({@link LatencyBenchmark}).</li>
 * </ol>
 * Writes {@code bench/results/<yyyyMMdd-HHmmss>.md} (hardware, versions, settings, tables, targets), {@code .json}
 * and two charts ({@code -throughput.png}, {@code -latency.png}). Exit 0 when the run completed (targets missed or not: a benchmark reports, it does not judge),
 * 1 when a run failed, 2 for a bad flag.
 */
@Command(name = "make bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Throughput against the machine's own ceiling, then latency at fixed input rates.")
public final class ClickstreamBenchmark implements Callable<Integer> {

  @Option(names = "--events", description = "events pre-produced for the throughput runs (default: ${DEFAULT-VALUE})")
  long events = 2_000_000;

  @Option(names = "--runs", split = ",", description = "throughput runs: 'profile' (source -> noop, source + parse -> noop), "
      + "query names (each alone), 'all', 'none' (default: every one of them)")
  List<String> runs;

  @Option(names = "--rates", split = ",", description = "input rates of the latency runs, events/s, also the steps of the "
      + "highest sustained rate; 0 = no latency run (default: ${DEFAULT-VALUE})")
  List<Integer> rates = List.of(5_000, 10_000, 15_000, 20_000, 25_000);

  @Option(names = "--real-time-rates", split = ",", description = "input rates of the latency runs with the ingest "
      + "query in real-time mode (INGEST_MODE=real-time), events/s; 0 = none (default: ${DEFAULT-VALUE})")
  List<Integer> realTimeRates = List.of(5_000, 20_000);

  @Option(names = "--real-time-batch", converter = DurationConverter.class, description = "REAL_TIME_BATCH_DURATION "
      + "of the real-time runs (default: 5 seconds)")
  Duration realTimeBatch = Duration.ofSeconds(5);

  @Option(names = "--real-time-fetch-wait", converter = DurationConverter.class, description = "REAL_TIME_FETCH_WAIT "
      + "of the real-time runs (default: 0 ms, off)")
  Duration realTimeFetchWait = Duration.ZERO;

  // a plain flag: the negatable --real-time-alone (true by default) did not turn the runs off with
  // --no-real-time-alone (make bench of 2026-12-07 ran them)
  @Option(names = "--no-real-time-alone", description = "skip the runs of ingest alone in real-time mode (by default "
      + "they run at every real-time rate: what real-time mode gives without the other queries on the same cores)")
  boolean noRealTimeAlone;

  @Option(names = "--measure", converter = DurationConverter.class, description = "measured time per latency run (default: 2 minutes)")
  Duration measure = Duration.ofMinutes(2);

  @Option(names = "--warm-up", converter = DurationConverter.class, description = "warm-up per latency run, not measured (default: 30 seconds)")
  Duration warmUp = Duration.ofSeconds(30);

  @Option(names = "--trigger", converter = DurationConverter.class, description = "micro-batch trigger of the latency runs (default: 5 seconds)")
  Duration trigger = Duration.ofSeconds(5);

  @Option(names = "--max-offsets", description = "MAX_OFFSETS_PER_TRIGGER of steps 3-4 (default: ${DEFAULT-VALUE})")
  long maxOffsets = 500_000;

  /** @param args see {@code make bench ARGS=--help} */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ClickstreamBenchmark()).execute(args));
  }

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    for (String run : runs == null ? List.<String>of() : runs) {
      if (Query.find(run).isEmpty() && !List.of("profile", "all", "none").contains(run)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--runs: unknown run '" + run + "'; known: profile, "
            + String.join(", ", Query.names()) + ", all, none");
      }
    }
    Path dir = Files.createTempDirectory("bench-");
    Map<String, Double> throughput = new LinkedHashMap<>();
    List<LatencyBenchmark.Result> latencies = new ArrayList<>();
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0, true);
         PostgresServer pg = PostgresServer.start(dir.resolve("pg"), 0, true)) {
      String jdbc = pg.createDatabase("bench");
      DatabaseConfig db = new DatabaseConfig(jdbc, PostgresServer.USER, PostgresServer.PASSWORD);
      Settings.Builder shared = Settings.builder().kafkaBootstrapServers(kafka.bootstrapServers())
          .database(jdbc, PostgresServer.USER, PostgresServer.PASSWORD).availableNow().maxOffsetsPerTrigger(maxOffsets)
          .metricsPort(0);
      Settings base = withRunPaths(shared, dir).build(); // topic names: the settings' defaults
      kafka.createTopic(base.kafka().inputTopic(), 4, InputTopic.configs());
      kafka.createTopic(base.kafka().enrichedTopic(), 4);
      kafka.createTopic(base.kafka().dlqTopic(), 1, dev.clickstream.app.sink.IngestSink.deadLetterTopicConfigs());

      long t0 = System.nanoTime();
      produce(kafka.bootstrapServers(), base.kafka().inputTopic(), events);
      throughput.put("producer", events / seconds(t0));
      throughput.put(BenchmarkReport.CEILING, events / consumeAll(kafka.bootstrapServers(), base.kafka().inputTopic(), events));

      PipelineLauncher.migrate(base);
      SparkSession spark = null;
      if (runs == null || runs.contains("profile")) {
        Settings settings = withRunPaths(shared, dir.resolve("profile")).build();
        spark = session(settings);
        noop(spark, settings, "warm-up", rows -> EventParser.validEvents(EventParser.parse(rows, settings.triggers().maxEventTimeSkew()))); // JIT, not measured
        // What every query pays before its own work: the Kafka source, then the source and the parse.
        throughput.put("profile: Kafka source -> noop", events / noop(spark, settings, "source", rows -> rows));
        throughput.put("profile: source + parse -> noop", events / noop(spark, settings, "parse",
            rows -> EventParser.validEvents(EventParser.parse(rows, settings.triggers().maxEventTimeSkew()))));
      }
      // each query alone over the whole topic, after one unmeasured warm-up of every query
      if (Query.names().stream().anyMatch(this::wanted) || wanted("all")) {
        Settings settings = withRunPaths(shared, dir).build();
        spark = spark == null ? session(settings) : spark;
        warmUp(kafka, spark, shared, dir.resolve("warm-up"), db);
      }
      for (Query query : Query.values()) {
        if (!wanted(query.queryName())) {
          continue;
        }
        Path run = dir.resolve("alone-" + query);
        double s = pipeline(spark, withRunPaths(shared, run).build(), db, List.of(query));
        throughput.put(query + " alone", events / s);
        deleteRun(run);
      }
      if (runs == null || runs.contains("all")) {
        Path run = dir.resolve("all");
        Settings settings = withRunPaths(shared, run).build();
        spark = spark == null ? session(settings) : spark;
        throughput.put(BenchmarkReport.TOGETHER, events / pipeline(spark, settings, db, List.of(Query.values())));
        deleteRun(run);
      }
      // the latency runs, in both ingest modes, in a session with a task slot per input partition (4) + 2, as make
      // run has: real-time ingest holds 4, the other queries share 2
      java.util.SortedSet<Integer> allRates = new java.util.TreeSet<>();
      rates.stream().filter(r -> r > 0).forEach(allRates::add);
      realTimeRates.stream().filter(r -> r > 0).forEach(allRates::add);
      Settings.Builder latencyRuns = shared.copy().sparkMaster("local[" + (4 + IngestMode.OTHER_QUERIES_SLOTS) + "]")
          .realTimeBatchDuration(realTimeBatch).realTimeFetchWait(realTimeFetchWait);
      if (!allRates.isEmpty() && spark != null) {
        spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
        spark = null;
      }
      for (int rate : allRates) {
        for (IngestMode mode : IngestMode.values()) {
          if (!(mode == IngestMode.REAL_TIME ? realTimeRates : rates).contains(rate)) {
            continue;
          }
          if (spark == null) {
            spark = session(withRunPaths(latencyRuns, dir).build());
          }
          List<List<Query>> queryGroups = mode == IngestMode.REAL_TIME && !noRealTimeAlone
              ? List.of(List.of(Query.values()), List.of(Query.INGEST)) : List.of(List.of(Query.values()));
          for (List<Query> queries : queryGroups) {
            Path run = dir.resolve("latency-" + rate + "-" + mode + "-" + queries.size());
            latencies.add(LatencyBenchmark.run(kafka, latencyRuns, db, spark, run, rate, mode, queries, warmUp, measure,
                trigger));
            deleteRun(run);
          }
        }
      }
      if (spark != null) {
        spark.stop();
      }
      // written before the broker, the database and the run directories go: a failure to clean them up (a broker
      // thread still writing its log directory, 2026-12-08) must not lose half an hour of measurements
      new BenchmarkReport(events, maxOffsets, warmUp, measure, trigger, realTimeBatch, realTimeFetchWait, throughput,
          latencies).write(Path.of("bench", "results"),
          LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    } finally {
      deleteRun(dir);
    }
    return 0;
  }

  private static Settings.Builder withRunPaths(Settings.Builder shared, Path run) {
    return shared.copy().checkpointRoot(run.resolve("checkpoints")).lakePath(run.resolve("lake"));
  }

  /** Seconds for one available-now query from the input topic through {@code transform} to Spark's noop sink. */
  private static double noop(SparkSession spark, Settings settings, String name,
      java.util.function.UnaryOperator<Dataset<Row>> transform) throws Exception {
    long start = System.nanoTime();
    StreamingQuery query = transform.apply(KafkaSource.read(spark, settings, false)).writeStream().format("noop")
        .queryName(name).option("checkpointLocation", Path.of(settings.checkpointRoot(), "profile-" + name).toString()).trigger(Trigger.AvailableNow()).start();
    query.awaitTermination();
    return seconds(start);
  }

  /**
   * An unmeasured run of every query over 100k events of their own topics: the first micro-batch of a JVM loads and
   * JIT-compiles Delta's writer and Spark's code paths, which a long-running pipeline pays once.
   */
  private static void warmUp(KafkaBroker kafka, SparkSession spark, Settings.Builder shared, Path run, DatabaseConfig db)
      throws Exception {
    for (String topic : List.of("warm_up", "warm_up_enriched", "warm_up_dlq")) {
      kafka.createTopic(topic, 4);
    }
    produce(kafka.bootstrapServers(), "warm_up", 100_000);
    Settings warm = withRunPaths(shared, run).inputTopic("warm_up").enrichedTopic("warm_up_enriched")
        .dlqTopic("warm_up_dlq").build();
    pipeline(spark, warm, db, List.of(Query.values()));
    deleteRun(run);
  }

  /**
   * Deletes a finished run's directory (lake, checkpoints). Spark keeps the stopped queries' state stores loaded and
   * its maintenance thread may still write RocksDB snapshots into their checkpoints (seen at 20,000 events/s: files
   * kept appearing for more than a second, and the run's report was lost); unloading them first (as a new driver
   * starts) leaves nothing writing there. Something may still write for longer (seen again at 20,000 events/s with
   * four queries): then the directory is left behind with a warning, and the runs and the report go on; a scratch
   * directory is no reason to lose a benchmark.
   *
   * @param run the run's directory
   */
  private static void deleteRun(Path run) {
    org.apache.spark.sql.execution.streaming.state.StateStore.stop();
    try {
      Directories.deleteRecursively(run);
    } catch (RuntimeException e) {
      System.err.println("bench: could not delete " + run + " (" + e.getMessage().lines().findFirst().orElse("")
          + "); delete it by hand");
    }
  }

  private boolean wanted(String run) {
    return runs == null || runs.contains(run);
  }

  /**
   * Seconds for an available-now run of some queries on empty tables.
   *
   * @throws IllegalStateException when the run fails
   */
  private static double pipeline(SparkSession spark, Settings settings, DatabaseConfig db, List<Query> queries)
      throws Exception {
    truncate(db);
    long start = System.nanoTime();
    int status = new PipelineRuntime(spark, settings, Set.copyOf(queries)).runUntilDone();
    double s = seconds(start);
    if (status != 0) {
      throw new IllegalStateException("bench: run " + queries + " failed with status " + status);
    }
    return s;
  }

  private static SparkSession session(Settings settings) {
    return SparkSessionConfig.session(settings, Map.of("spark.ui.enabled", "false"));
  }

  private static void produce(String bootstrap, String topic, long events) {
    TrafficProfile profile = TrafficProfile.defaults(1, Instant.parse("2026-11-23T12:00:00Z"), 1000).withMalformedEvery(500);
    TrafficGenerator generator = new TrafficGenerator(profile);
    try (KafkaSink sink = KafkaSink.connect(bootstrap, topic, Duration.ofSeconds(30))) {
      for (long i = 0; i < events; i++) {
        sink.send(generator.next());
      }
      sink.flush();
    }
  }

  private static double consumeAll(String bootstrap, String topic, long expected) {
    long[] seen = {0};
    long start = System.nanoTime();
    LatencyBenchmark.forEachRecord(bootstrap, topic, r -> seen[0]++);
    if (seen[0] != expected) {
      throw new IllegalStateException("read " + seen[0] + " records, produced " + expected);
    }
    return seconds(start);
  }

  private static void truncate(DatabaseConfig db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE " + String.join(", ", tables()));
    }
  }

  /** @return every table the pipeline writes: the results and rejected_rows */
  static List<String> tables() {
    return ResultTable.names(List.of(ResultTable.values()));
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Durations as the pipeline's settings write them: {@code 5s}, {@code 2 minutes}, ... */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return Durations.parse(value);
    }
  }

  /** The report's JSON writer (pretty, stable field order). */
  static ObjectMapper json() {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }
}
