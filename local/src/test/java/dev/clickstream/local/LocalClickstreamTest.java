package dev.clickstream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.clickstream.testkit.FreePorts;
import dev.clickstream.testkit.DatabaseRoles;
import dev.clickstream.testkit.PrometheusText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code make run} as a user meets it: a child process, real clients, Ctrl-C, and a second start. */
class LocalClickstreamTest {
  private static Process start(Path dataDir, int kafkaPort, int pgPort, Path log, String... extra) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(Files.readString(Path.of("..", "app", "target", "jvm.options")).trim().split("\\s+")));
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    command.addAll(List.of("-Xmx2g", "-Dspark.ui.enabled=false", "-cp", classpath, LocalClickstream.class.getName(),
        "--data-dir", dataDir.toString(), "--port-kafka", String.valueOf(kafkaPort), "--port-postgres", String.valueOf(pgPort),
        "--trigger-interval", "2 seconds", "--summary-interval", "5s"));
    command.addAll(List.of(extra));
    if (!List.of(extra).contains("--port-metrics")) {
      command.addAll(List.of("--port-metrics", "0")); // 9464 may be taken on a shared machine
    }
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return builder.start();
  }

  /** Reads as make run's read-only role, as a person would (README: psql -U clickstream_reader). */
  private static long count(String jdbc, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbc, DatabaseRoles.LOCAL.reader(), DatabaseRoles.LOCAL.readerPassword());
         ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long messages(String bootstrap, String topic) {
    try (var consumer = new KafkaConsumer<String, String>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  @Test
  void runsTheWholePlatformStopsOnSigtermAndResumesWithoutReprocessing(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    Path log = Path.of("target", "local-smoke.log");
    Files.deleteIfExists(log);
    int[] ports = FreePorts.distinct(3);
    int kafkaPort = ports[0];
    int pgPort = ports[1];
    String jdbc = "jdbc:postgresql://127.0.0.1:" + pgPort + "/clickstream";
    String bootstrap = "127.0.0.1:" + kafkaPort;
    String metricsUrl = "http://127.0.0.1:" + ports[2] + "/metrics";

    Process first = start(data, kafkaPort, pgPort, log, "--rate", "2000", "--malformed-every", "100", "--duration", "45s",
        "--port-metrics", String.valueOf(ports[2]));
    await().atMost(Duration.ofMinutes(2)).until(() -> Files.readString(log).contains("psql -h 127.0.0.1 -p " + pgPort));
    assertThat(Files.readString(log)).contains("metrics:         " + metricsUrl)
        .contains("psql -h 127.0.0.1 -p " + pgPort + " -U clickstream_reader clickstream");
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      assertThat(first.isAlive()).isTrue();
      assertThat(Files.readString(log)).contains("top pages (latest closed minute): /")
          .contains("top products (latest closed minute, views/carts/purchases): p-").contains("funnel (latest 10 minutes): viewers ");
      assertThat(count(jdbc, "SELECT count(*) FROM product_activity")).isPositive();
      assertThat(count(jdbc, "SELECT count(*) FROM traffic_by_segment")).isPositive();
      assertThat(count(jdbc, "SELECT count(*) FROM page_view_counts")).isPositive();
      assertThat(count(jdbc, "SELECT count(*) FROM active_users")).isPositive();
      assertThat(count(jdbc, "SELECT count(*) FROM user_sessions")).isPositive();
      assertThat(count(jdbc, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'clickstream_owner'"))
          .as("the migration owner owns every table, the writer none").isZero();
      assertThat(messages(bootstrap, "enriched_activity")).isPositive();
      assertThat(messages(bootstrap, "user_activity_dlq")).isPositive();
    });
    // /metrics while data flows: every query up, the JVM's metrics beside the pipeline's
    PrometheusText flowing = PrometheusText.scrape(metricsUrl);
    for (String query : List.of("ingest", "lake", "analytics", "user-sessions")) {
      assertThat(flowing.value("clickstream_query_up", "query", query)).as(query).hasValue(1);
    }
    assertThat(flowing.value("clickstream_input_rows_total", "query", "ingest").getAsDouble()).isPositive();
    assertThat(flowing.names()).contains("jvm_memory_used_bytes", "clickstream_batch_duration_seconds_bucket");

    // the producer stops after 45 s: the lag falls to 0, and what the metrics counted is what the topics hold
    // (a first run without failures: no micro-batch replayed, so even the at-least-once outputs match exactly)
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(3)).untilAsserted(() -> {
      PrometheusText t = PrometheusText.scrape(metricsUrl);
      assertThat(t.value("clickstream_kafka_offsets_behind_latest", "query", "ingest")).hasValue(0);
      long sent = messages(bootstrap, "user_activity");
      long deadLetters = messages(bootstrap, "user_activity_dlq");
      assertThat(t.value("clickstream_input_rows_total", "query", "ingest")).hasValue(sent);
      assertThat(t.value("clickstream_sink_rows_total", "sink", "dead_letter")).hasValue(deadLetters);
      assertThat(t.value("clickstream_sink_rows_total", "sink", "enriched")).hasValue(messages(bootstrap, "enriched_activity"));
      assertThat(t.value("clickstream_sink_rows_total", "sink", "lake")).hasValue(sent - deadLetters);
      double byReason = t.samples().entrySet().stream().filter(e -> e.getKey().startsWith("clickstream_dead_letters_total{"))
          .mapToDouble(Map.Entry::getValue).sum();
      assertThat(byReason).isEqualTo(deadLetters);
      // the producer's malformed kinds rotate through four reasons, each counted under its code
      assertThat(t.value("clickstream_dead_letters_total", "reason", "unknown_event_type").getAsDouble()).isPositive();
      assertThat(t.value("clickstream_dead_letters_total", "reason", "not_json").getAsDouble()).isPositive();
    });

    first.destroy(); // SIGTERM
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("exits within 30 s of SIGTERM").isTrue();
    assertThat(first.exitValue()).isZero();
    assertThat(data.resolve("lake/events/_delta_log")).isDirectory();
    assertThat(Files.readString(log)).containsPattern("lake: version \\d+, [\\d,]+ rows in \\d+ files");

    // a second start continues: nothing is read again from the beginning
    Process second = start(data, kafkaPort, pgPort, log, "--no-producer");
    Thread.sleep(5_000);
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> Files.readString(log).lines().filter(l -> l.startsWith("---- ")).count() >= 2 && second.isAlive()
            && Files.readString(log).split("clickstream is starting", -1).length > 2);
    // each valid input record (99% here) gives one enriched record: wait until the backlog is through, then
    // check that the topic was not read again from the beginning, which would double the enriched records
    // (a few repeats from the micro-batch interrupted by SIGTERM are at-least-once's due)
    long input = messages(bootstrap, "user_activity");
    assertThat(input).isGreaterThan(50_000);
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(3))
        .until(() -> messages(bootstrap, "enriched_activity") >= input * 98 / 100);
    Thread.sleep(10_000);
    assertThat(messages(bootstrap, "enriched_activity")).isLessThanOrEqualTo(input * 21 / 20);
    second.destroy();
    assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).isZero();

    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog").getOrCreate();
    try {
      var lake = spark.read().format("delta").load(data.resolve("lake").resolve("events").toString());
      long rows = lake.count();
      assertThat(rows).isGreaterThan(50_000);
      assertThat(lake.select("event_id").distinct().count()).isEqualTo(rows);
    } finally {
      spark.stop();
    }
  }

  @Test
  void anUnusableDataDirectoryIsOneLineAndExitOne(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    Path log = dir.resolve("data.log");
    int[] ports = FreePorts.distinct(2);
    Process p = start(file.resolve("data"), ports[0], ports[1], log, "--no-producer");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(Files.readString(log).lines().filter(l -> l.startsWith("clickstream-local:")).toList())
        .singleElement().asString().contains("data directory " + file.resolve("data") + " is not writable");
  }

  @Test
  void aCorruptCheckpointIsOneLineAndExitOne(@TempDir Path dir) throws Exception {
    Path offsets = dir.resolve("data/checkpoints/ingest/offsets");
    Files.createDirectories(offsets);
    Files.writeString(offsets.resolve("0"), "this is not an offset log\n");
    Path log = dir.resolve("corrupt.log");
    int[] ports = FreePorts.distinct(2);
    Process p = start(dir.resolve("data"), ports[0], ports[1], log, "--no-producer");
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("exits by itself").isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    // Spark 4.2 refuses the checkpoint when the query starts, naming its error class (4.1 failed the query later)
    assertThat(Files.readString(log)).contains("clickstream: query ingest cannot start on its checkpoint ")
        .contains("[STREAMING_CHECKPOINT_MISSING_METADATA_FILE]")
        .contains("clickstream-local: the pipeline failed")
        .doesNotContain("\tat org.apache.spark");
  }

  @Test
  void aPortInUseIsOneLineAndExitOne(@TempDir Path dir) throws Exception {
    try (var blocker = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Path log = dir.resolve("busy.log");
      Process p = start(dir.resolve("data"), blocker.getLocalPort(), FreePorts.distinct(1, blocker.getLocalPort())[0], log, "--no-producer");
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isEqualTo(1);
      assertThat(Files.readString(log)).contains("clickstream-local: Kafka port " + blocker.getLocalPort()
          + " on 127.0.0.1 is already in use (choose another with --port-kafka)");
    }
  }
}
