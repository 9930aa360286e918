package dev.clickstream.bench;

import dev.clickstream.app.ClickstreamPipeline;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.SchemaMigrations;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.sql.SparkSession;

/**
 * Throughput against the machine's own ceiling, in one run (issue #8, steps 1-4): pre-produce N events (the
 * producer's mix: every 50th late, every 500th malformed) into a 4-partition topic; read them all with a plain
 * KafkaConsumer (the ceiling); run each query alone with available-now over the whole topic; then all queries
 * together. Reports events/s and the ratio to the ceiling, as Markdown and JSON under bench/results/.
 * Usage: {@code make bench ARGS="[events]"} (default 2,000,000).
 */
public final class ThroughputBenchmark {
  private ThroughputBenchmark() {}

  /** @param args number of events (2000000), then optionally the runs: query names and/or "all", comma-separated */
  public static void main(String[] args) throws Exception {
    long events = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    List<String> only = args.length > 1 ? List.of(args[1].split(",")) : null;
    Path dir = Files.createTempDirectory("bench-throughput-");
    Map<String, Double> rates = new LinkedHashMap<>();
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0, true);
         PostgresServer pg = PostgresServer.start(dir.resolve("pg"), 0, true)) {
      kafka.createTopic("user_activity", 4);
      kafka.createTopic("enriched_activity", 4);
      kafka.createTopic("user_activity_dlq", 1);

      TrafficProfile profile = TrafficProfile.defaults(1, Instant.parse("2026-11-23T12:00:00Z"), 1000).withMalformedEvery(500);
      TrafficGenerator generator = new TrafficGenerator(profile);
      long t0 = System.nanoTime();
      try (KafkaSink sink = KafkaSink.connect(kafka.bootstrapServers(), "user_activity", Duration.ofSeconds(30))) {
        for (long i = 0; i < events; i++) {
          sink.send(generator.next());
        }
        sink.flush();
      }
      rates.put("producer", events / seconds(t0));
      rates.put("plain KafkaConsumer (ceiling)", events / consumeAll(kafka.bootstrapServers(), events));

      String jdbc = pg.createDatabase("bench");
      DatabaseConfig db = new DatabaseConfig(jdbc, PostgresServer.USER, PostgresServer.PASSWORD);
      SchemaMigrations.migrate(db, Duration.ofSeconds(30));
      Map<String, String> env = new HashMap<>(Map.of(
          "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "JDBC_URL", jdbc, "DB_USER", PostgresServer.USER,
          "DB_PASSWORD", PostgresServer.PASSWORD, "TRIGGER_INTERVAL", "available-now",
          "MAX_OFFSETS_PER_TRIGGER", "500000"));
      SparkSession spark = null;
      List<List<String>> runs = new ArrayList<>();
      ClickstreamPipeline.QUERIES.stream().filter(q -> only == null || only.contains(q)).forEach(q -> runs.add(List.of(q)));
      if (only == null || only.contains("all")) {
        runs.add(ClickstreamPipeline.QUERIES);
      }
      for (List<String> queries : runs) {
        Path run = dir.resolve("run-" + runs.indexOf(queries));
        env.put("CHECKPOINT_ROOT", run.resolve("checkpoints").toString());
        env.put("LAKE_PATH", run.resolve("lake").toString());
        Settings settings = Settings.parse(new String[0], env);
        if (spark == null) {
          spark = SparkSession.builder().config(ClickstreamPipeline.sessionConfig(settings)).config("spark.ui.enabled", "false").getOrCreate();
        }
        truncate(db);
        long start = System.nanoTime();
        int status = new ClickstreamPipeline(spark, settings, Set.copyOf(queries)).runUntilDone();
        double s = seconds(start);
        if (status != 0) {
          throw new IllegalStateException("run " + queries + " failed");
        }
        rates.put(queries.size() == 1 ? queries.get(0) + " alone" : "all queries together", events / s);
        Directories.deleteRecursively(run);
      }
      spark.stop();
    }
    report(events, rates);
  }

  private static double consumeAll(String bootstrap, long expected) {
    try (var consumer = new KafkaConsumer<byte[], byte[]>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor("user_activity").forEach(p -> partitions.add(new TopicPartition("user_activity", p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long seen = 0;
      long start = System.nanoTime();
      while (seen < expected) {
        seen += consumer.poll(Duration.ofMillis(500)).count();
      }
      return seconds(start);
    }
  }

  private static void truncate(DatabaseConfig db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE page_view_counts, active_users, user_sessions");
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void report(long events, Map<String, Double> rates) throws Exception {
    double ceiling = rates.get("plain KafkaConsumer (ceiling)");
    StringBuilder md = new StringBuilder();
    md.append(String.format("Hardware: %d cores, Java %s; Spark %s local[*], Kafka 3.9.1 broker in the same JVM, "
            + "embedded PostgreSQL 17; %,d events, 4 partitions, MAX_OFFSETS_PER_TRIGGER 500000.%n%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        org.apache.spark.package$.MODULE$.SPARK_VERSION(), events));
    md.append("| run | events/s | ratio to ceiling |\n|---|---:|---:|\n");
    StringBuilder json = new StringBuilder("{\"events\":" + events + ",\"rates\":{");
    rates.forEach((name, rate) -> {
      md.append(String.format("| %s | %,.0f | %.2f |%n", name, rate, rate / ceiling));
      json.append(String.format("\"%s\":%.0f,", name, rate));
    });
    json.setLength(json.length() - 1);
    json.append("}}\n");
    System.out.println();
    System.out.print(md);
    Path results = Path.of("bench", "results");
    Files.createDirectories(results);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Files.writeString(results.resolve(stamp + ".md"), md);
    Files.writeString(results.resolve(stamp + ".json"), json);
  }
}
