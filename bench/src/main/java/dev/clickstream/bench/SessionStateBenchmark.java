package dev.clickstream.bench;

import dev.clickstream.app.PipelineLauncher;
import dev.clickstream.app.PipelineRuntime;
import dev.clickstream.app.SparkSessionConfig;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.source.InputTopic;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.ResultTable;
import dev.clickstream.producer.ProducedRecord;
import dev.clickstream.producer.TrafficGenerator;
import dev.clickstream.producer.TrafficProfile;
import dev.clickstream.testkit.KafkaBroker;
import dev.clickstream.testkit.PostgresServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Session state at scale, through the {@code user-sessions} query alone (Kafka -> parse -> watermark ->
 * flatMapGroupsWithState -> Postgres), Spark local[*] with the RocksDB state store. Two scenarios:
 * <ul>
 *   <li>many users (default): 100k users (25k sessions open at any time) over 10 minutes of event time; reports
 *       state rows, state size on disk (the checkpoint's {@code state/} directory), heap after a full GC (driver
 *       and executor share this JVM in local mode), and events/s. Usage:
 *       {@code make bench-sessions [ARGS="users eventsPerSecondOfEventTime minutes"]}.</li>
 *   <li>long sessions: {@code make bench-sessions ARGS="long [users] [hours]"} (200 users, 6 hours): each user
 *       opens one session and sends a page view every 10 s of event time for the whole span, so no session ever
 *       ends; micro-batches of 5 minutes of event time. Reports, from the state store read back with Spark's
 *       state data source, the state bytes per open session (the value as stored: its UnsafeRow size) and the
 *       events kept per session.</li>
 * </ul>
 */
public final class SessionStateBenchmark {
  private SessionStateBenchmark() {}

  /** @param args users (100000), events per second of event time (2000), minutes of event time (10) */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("long")) {
      longSessions(args.length > 1 ? Integer.parseInt(args[1]) : 200, args.length > 2 ? Integer.parseInt(args[2]) : 6);
      return;
    }
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int eventRate = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    int minutes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    long total = (long) eventRate * 60 * minutes;
    Path dir = Files.createTempDirectory("bench-sessions-");
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0, true);
         PostgresServer pg = PostgresServer.start(dir.resolve("pg"), 0, true)) {
      Settings settings = settings(kafka, pg, dir, 200_000);
      kafka.createTopic(settings.kafka().inputTopic(), 4, InputTopic.configs());
      TrafficProfile profile = TrafficProfile.defaults(1, Instant.parse("2026-11-23T12:00:00Z"), eventRate)
          .withPopulation(users, 50);
      long producedAt = System.nanoTime();
      produce(kafka.bootstrapServers(), settings.kafka().inputTopic(), new TrafficGenerator(profile), total);
      double produceSeconds = (System.nanoTime() - producedAt) / 1e9;

      Run run = runUserSessions(settings);
      SparkSession spark = run.spark();
      StreamingQuery query = run.query();
      String jdbc = run.jdbcUrl();
      double seconds = run.seconds();
      StreamingQueryProgress last = null;
      for (StreamingQueryProgress p : query.recentProgress()) {
        if (p.stateOperators().length > 0) {
          last = p;
        }
      }
      long stateRows = last == null ? -1 : last.stateOperators()[0].numRowsTotal();
      long stateMemory = last == null ? -1 : last.stateOperators()[0].memoryUsedBytes();
      long stateDisk = size(Path.of(settings.checkpointFor(Query.USER_SESSIONS), "state"));
      System.gc();
      long heapUsed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long peakHeap = ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
          .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      long sessions = spark.read().format("jdbc").option("url", jdbc).option("user", PostgresServer.USER)
          .option("password", PostgresServer.PASSWORD).option("dbtable", ResultTable.USER_SESSIONS.tableName()).load().count();
      spark.stop();
      System.out.printf("%n| measure | value |%n|---|---|%n");
      System.out.printf("| hardware | %d cores, Java %s, Spark %s local[*], RocksDB state |%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), org.apache.spark.package$.MODULE$.SPARK_VERSION());
      System.out.printf("| input | %,d events, %,d users, %d min of event time (%,d events/s of event time) |%n", total, users, minutes, eventRate);
      System.out.printf("| produce | %.1f s |%n", produceSeconds);
      System.out.printf("| user-sessions, available-now | %.1f s = %,.0f events/s |%n", seconds, total / seconds);
      System.out.printf("| state rows at the end | %,d (users with a non-final session) |%n", stateRows);
      System.out.printf("| state memory (RocksDB, reported) | %,d bytes |%n", stateMemory);
      System.out.printf("| state on disk (checkpoint state/) | %,d bytes |%n", stateDisk);
      System.out.printf("| heap after full GC / peak heap | %,d / %,d bytes (driver = executor in local mode) |%n", heapUsed, peakHeap);
      System.out.printf("| rows in " + ResultTable.USER_SESSIONS + " | %,d |%n", sessions);
    }
  }

  /**
   * A finished available-now run of the user-sessions query alone.
   *
   * @param spark its session, still open
   * @param query the query, terminated
   * @param settings its settings
   * @param jdbcUrl the database it wrote
   * @param seconds from start to termination
   */
  record Run(SparkSession spark, StreamingQuery query, Settings settings, String jdbcUrl, double seconds) {}

  /**
   * Runs user-sessions alone over what is in the input topic: Kafka -> parse -> watermark ->
   * flatMapGroupsWithState -> Postgres, available-now, into a new database {@code bench}.
   *
   * @param settings of {@link #settings}: the input topic, the database, the checkpoints
   */
  private static Run runUserSessions(Settings settings) throws Exception {
    PipelineLauncher.migrate(settings);
    SparkSession spark = SparkSessionConfig.session(settings, Map.of("spark.ui.enabled", "false"));
    long start = System.nanoTime();
    PipelineRuntime pipeline = new PipelineRuntime(spark, settings, Set.of(Query.USER_SESSIONS));
    int status = pipeline.runUntilDone();
    if (status != 0) {
      throw new IllegalStateException("user-sessions failed with exit status " + status);
    }
    return new Run(spark, pipeline.streamingQuery(Query.USER_SESSIONS).orElseThrow(), settings, settings.postgres().jdbcUrl(),
        (System.nanoTime() - start) / 1e9);
  }

  /**
   * @param maxOffsetsPerTrigger records per micro-batch
   * @return the settings of a run on this broker, a new database {@code bench} and checkpoints below {@code dir};
   *     the topics are the settings' (their defaults)
   */
  private static Settings settings(KafkaBroker kafka, PostgresServer pg, Path dir, long maxOffsetsPerTrigger) {
    return Settings.builder().kafkaBootstrapServers(kafka.bootstrapServers())
        .database(pg.createDatabase("bench"), PostgresServer.USER, PostgresServer.PASSWORD)
        .checkpointRoot(dir.resolve("checkpoints")).availableNow().maxOffsetsPerTrigger(maxOffsetsPerTrigger)
        .metricsPort(0).build();
  }

  /** Seconds of event time between two events of one user in the long-session scenario. */
  static final int LONG_SESSION_EVENT_EVERY_S = 10;

  private static void longSessions(int users, int hours) throws Exception {
    Instant start = Instant.parse("2026-11-23T00:00:00Z");
    long perUser = hours * 3600L / LONG_SESSION_EVENT_EVERY_S;
    Path dir = Files.createTempDirectory("bench-long-sessions-");
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0, true);
         PostgresServer pg = PostgresServer.start(dir.resolve("pg"), 0, true)) {
      Settings settings = settings(kafka, pg, dir, users * 300L / LONG_SESSION_EVENT_EVERY_S); // 5 min of event time
      kafka.createTopic(settings.kafka().inputTopic(), 4, InputTopic.configs());
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
        for (long i = 0; i < perUser; i++) {
          for (int u = 0; u < users; u++) {
            Instant t = start.plusSeconds(i * LONG_SESSION_EVENT_EVERY_S).plusMillis(u);
            var e = new dev.clickstream.producer.UserActivityEvent("e-" + u + "-" + i, t, "u" + u, "/p" + (i % 20),
                i == 0 ? dev.clickstream.contract.EventType.SESSION_START : dev.clickstream.contract.EventType.PAGE_VIEW);
            producer.send(new ProducerRecord<>(settings.kafka().inputTopic(), e.userId(), dev.clickstream.producer.EventCodec.toJson(e)));
          }
        }
      }
      Run run = runUserSessions(settings);
      SparkSession spark = run.spark();
      StreamingQuery query = run.query();
      String checkpoint = run.settings().checkpointFor(Query.USER_SESSIONS);
      double seconds = run.seconds();
      // the state as stored: one value per user (an UnsafeRow), read back with the state data source
      Dataset<Row> state = spark.read().format("statestore").load(checkpoint);
      int valueFields = ((org.apache.spark.sql.types.StructType) state.schema().apply("value").dataType()).size();
      java.util.List<Long> bytes = state.select("value").queryExecution().toRdd().toJavaRDD()
          .map(r -> (long) ((org.apache.spark.sql.catalyst.expressions.UnsafeRow) r.getStruct(0, valueFields)).getSizeInBytes())
          .collect();
      Row kept = state.selectExpr("avg(size(value.groupState.pending))", "max(size(value.groupState.pending))").first();
      long batches = query.recentProgress().length;
      spark.stop();
      System.out.printf("%n| measure | value |%n|---|---|%n");
      System.out.printf("| hardware | %d cores, Java %s, Spark %s local[*], RocksDB state |%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), org.apache.spark.package$.MODULE$.SPARK_VERSION());
      System.out.printf("| input | %,d users, one session each, an event every %d s for %d h: %,d events, micro-batches of 5 min of event time (%d) |%n",
          users, LONG_SESSION_EVENT_EVERY_S, hours, perUser * users, batches);
      System.out.printf("| user-sessions, available-now | %.1f s = %,.0f events/s |%n", seconds, perUser * users / seconds);
      System.out.printf("| open sessions in state | %,d |%n", bytes.size());
      System.out.printf("| state bytes per open session (UnsafeRow), avg / max | %,.0f / %,d |%n",
          bytes.stream().mapToLong(Long::longValue).average().orElse(0), bytes.stream().mapToLong(Long::longValue).max().orElse(0));
      System.out.printf("| events kept per open session, avg / max | %s / %s |%n", kept.get(0), kept.get(1));
      System.out.printf("| state on disk (checkpoint state/) | %,d bytes |%n", size(Path.of(checkpoint, "state")));
    }
  }

  private static void produce(String bootstrap, String topic, TrafficGenerator generator, long count) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      for (long i = 0; i < count; i++) {
        ProducedRecord r = generator.next();
        producer.send(new ProducerRecord<>(topic, r.key(), r.value()));
      }
    }
  }

  /** @return the bytes of the regular files below {@code dir}; 0 when it does not exist (a query without state) */
  static long size(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }
}
