package dev.clickstream.bench;

import dev.clickstream.app.PipelineRuntime;
import dev.clickstream.app.SparkSessionConfig;
import dev.clickstream.contract.Query;
import dev.clickstream.app.PipelineLauncher;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.source.InputTopic;
import dev.clickstream.contract.EventType;
import dev.clickstream.producer.EventCodec;
import dev.clickstream.producer.UserActivityEvent;
import dev.clickstream.testkit.KafkaBroker;
import dev.clickstream.testkit.PostgresServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * What one key can make the pipeline hold (state bytes, heap, files), each scenario through the real queries,
 * Spark local[*] with the RocksDB state store, available-now in micro-batches of {@code records / 10}:
 * <ol>
 *   <li>a bot: one user_id sending {@code botEvents} page views (default 100,000) within one minute of event time,
 *       through {@code analytics} and {@code user-sessions};</li>
 *   <li>a wide window: {@code windowUsers} distinct users (default 1,000,000), each one product page view and one
 *       add_to_cart in one 10-minute window, through {@code analytics} (the funnel's and segments' distinct users);
 *   </li>
 *   <li>old dates: one record per event_date for a year of dates, through {@code lake} (a partition and a file
 *       per date).</li>
 * </ol>
 * Reports, per scenario and query, the state rows and the state store's memory (Spark's progress), the
 * checkpoint's {@code state/} bytes on disk, the heap after a full GC and the peak heap (driver = executor here),
 * the lake's files, and the seconds taken. Usage: {@code make bench-hostile [ARGS="botEvents windowUsers"]}; the
 * report goes to stdout and {@code bench/results/<stamp>-hostile.md}.
 */
public final class HostileKeyBenchmark {
  private HostileKeyBenchmark() {}

  /** @param args events of the bot (100000), distinct users of the wide window (1000000) */
  public static void main(String[] args) throws Exception {
    int botEvents = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int windowUsers = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    Instant t0 = Instant.parse("2026-11-23T12:00:00Z");
    StringBuilder report = new StringBuilder("# What one key can make the pipeline hold\n\n");
    report.append(String.format("%d cores, Java %s, Spark %s local[*], RocksDB state store, heap limit %,d MB.%n%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        org.apache.spark.package$.MODULE$.SPARK_VERSION(), Runtime.getRuntime().maxMemory() >> 20));
    report.append("| scenario | query | records | s | state rows | state memory, bytes | state on disk, bytes | heap after GC / peak, MB | lake files |\n");
    report.append("|---|---|---|---|---|---|---|---|---|\n");

    List<UserActivityEvent> bot = new ArrayList<>();
    for (int i = 0; i < botEvents; i++) {
      bot.add(new UserActivityEvent("bot-" + i, t0.plusNanos(i * (60_000_000_000L / botEvents)), "bot",
          "/p" + (i % 50), EventType.PAGE_VIEW));
    }
    run(report, "one user, " + String.format("%,d", botEvents) + " events in a minute", bot,
        Set.of(Query.ANALYTICS, Query.USER_SESSIONS));

    List<UserActivityEvent> wide = new ArrayList<>();
    for (int u = 0; u < windowUsers; u++) {
      Instant t = t0.plusNanos(u * (540_000_000_000L / windowUsers)); // inside 12:00-12:09
      wide.add(new UserActivityEvent("v-" + u, t, "user-" + u, "/product/p" + (u % 300),
          EventType.PAGE_VIEW, "p" + (u % 300), "books", null, null, null, null, "mobile", "DE"));
      if (u % 2 == 0) {
        wide.add(new UserActivityEvent("c-" + u, t.plusMillis(1), "user-" + u, "/product/p" + (u % 300),
            EventType.ADD_TO_CART, "p" + (u % 300), "books", new BigDecimal("9.99"), 1, "EUR", null, "mobile", "DE"));
      }
    }
    run(report, String.format("%,d users in one 10-minute window", windowUsers), wide, Set.of(Query.ANALYTICS));

    List<UserActivityEvent> dates = new ArrayList<>();
    LocalDate day = LocalDate.of(2025, 11, 23);
    for (int d = 0; d < 365; d++) {
      dates.add(new UserActivityEvent("d-" + d, day.plusDays(d).atTime(12, 0).toInstant(ZoneOffset.UTC), "u" + d, "/",
          EventType.PAGE_VIEW));
    }
    run(report, "one record per event_date, a year of dates", dates, Set.of(Query.LAKE));

    System.out.println();
    System.out.print(report);
    Path results = Path.of("bench", "results");
    Files.createDirectories(results);
    Path file = results.resolve(new java.text.SimpleDateFormat("yyyyMMdd-HHmmss").format(new java.util.Date()) + "-hostile.md");
    Files.writeString(file, report);
    System.out.println("report: " + file);
  }

  /** Sends {@code values} to a fresh broker and runs the queries over them, available-now; adds report rows. */
  private static void run(StringBuilder report, String scenario, List<UserActivityEvent> values, Set<Query> queries)
      throws Exception {
    Path dir = Files.createTempDirectory("bench-hostile-");
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0, true);
         PostgresServer pg = PostgresServer.start(dir.resolve("pg"), 0, true)) {
      // topic names: the settings' defaults
      String jdbc = pg.createDatabase("bench");
      Settings settings = Settings.builder().kafkaBootstrapServers(kafka.bootstrapServers())
          .database(jdbc, PostgresServer.USER, PostgresServer.PASSWORD).checkpointRoot(dir.resolve("checkpoints"))
          .lakePath(dir.resolve("lake")).availableNow().metricsPort(0)
          .maxOffsetsPerTrigger(Math.max(100, values.size() / 10)).build();
      kafka.createTopic(settings.kafka().inputTopic(), 4, InputTopic.configs());
      kafka.createTopic(settings.kafka().enrichedTopic(), 4);
      kafka.createTopic(settings.kafka().dlqTopic(), 1, IngestSink.deadLetterTopicConfigs());
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
        for (UserActivityEvent e : values) {
          producer.send(new ProducerRecord<>(settings.kafka().inputTopic(), e.userId(), EventCodec.toJson(e)));
        }
      }
      PipelineLauncher.migrate(settings);
      SparkSession spark = SparkSessionConfig.session(settings, Map.of("spark.ui.enabled", "false"));
      Map<String, StreamingQueryProgress> last = new ConcurrentHashMap<>();
      StreamingQueryListener listener = new StreamingQueryListener() {
        @Override
        public void onQueryStarted(QueryStartedEvent event) {}

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
          if (event.progress().stateOperators().length > 0 || !last.containsKey(event.progress().name())) {
            last.put(event.progress().name(), event.progress());
          }
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {}
      };
      spark.streams().addListener(listener);
      ManagementFactory.getMemoryPoolMXBeans().forEach(java.lang.management.MemoryPoolMXBean::resetPeakUsage);
      long start = System.nanoTime();
      int status = new PipelineRuntime(spark, settings, queries).runUntilDone();
      double seconds = (System.nanoTime() - start) / 1e9;
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
      spark.streams().removeListener(listener);
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
      long peak = ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
          .mapToLong(p -> p.getPeakUsage().getUsed()).sum() >> 20;
      long lakeFiles = count(dir.resolve("lake").resolve("events"), ".parquet");
      for (Query q : queries.stream().sorted().toList()) {
        StreamingQueryProgress p = last.get(q);
        long rows = 0;
        long memory = 0;
        if (p != null) {
          for (var op : p.stateOperators()) {
            rows += op.numRowsTotal();
            memory += op.memoryUsedBytes();
          }
        }
        report.append(String.format("| %s | %s%s | %,d | %.1f | %,d | %,d | %,d | %,d / %,d | %s |%n", scenario, q,
            status == 0 ? "" : " (exit " + status + ")", values.size(), seconds, rows, memory,
            SessionStateBenchmark.size(Path.of(settings.checkpointFor(q), "state")), heap, peak,
            q == Query.LAKE ? String.format("%,d", lakeFiles) : ""));
      }
      spark.stop();
    } finally {
      dev.clickstream.testkit.Directories.deleteRecursively(dir);
    }
  }

  private static long count(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(suffix)).count();
    }
  }
}
