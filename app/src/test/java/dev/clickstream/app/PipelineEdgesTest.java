package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.testkit.DatabaseRoles;
import dev.clickstream.testkit.KafkaBrokerExtension;
import dev.clickstream.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Records and ranges at the edges, through the four queries (ingest real-time, lake, analytics, user-sessions)
 * and again through ingest alone in micro-batch mode:
 * <ul>
 *   <li>two page views MAX_EVENT_TIME_SKEW - 1 s and + 1 s ahead of their Kafka timestamps, on a {@code CreateTime}
 *       topic with producer timestamps two weeks old: judged by the Kafka timestamp, the first is valid in every
 *       query and the second a dead letter in both ingest runs and nowhere else (judged by a batch's clock, both
 *       would pass);</li>
 *   <li>a page view whose event_id is {@code order:o-1} beside a purchase of order {@code o-1}: the dedupe keys of
 *       the two kinds cannot collide, so both count;</li>
 *   <li>a 4 MiB value of one repeated byte, sent lz4-compressed (far under the topic's 1 MiB limit): its
 *       dead-letter copy is cut to {@link EventParser#MAX_DEAD_LETTER_VALUE_BYTES} with {@code truncated} and
 *       {@code original_size}, and the run ends normally;</li>
 *   <li>a recompute: refused while the lake lags behind what the live queries counted, atomic (a failed insert
 *       leaves the old sessions), and a session whose start a late event moved before the range's start is rewritten,
 *       not lost ({@link #aRecomputeWaitsForTheLakeIsAtomicAndKeepsASessionWhoseStartMoved}).</li>
 * </ul>
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class PipelineEdgesTest {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

  /** The producer's clock of every record: two weeks before this test was written, long before any batch's clock. */
  private static final Instant SENT = Instant.parse("2026-11-23T12:00:00Z");
  private static final int BIG_VALUE_BYTES = 4 * 1024 * 1024;
  private static final String MICRO_BATCH_ENRICHED = "enriched_micro_batch";
  private static final String MICRO_BATCH_DLQ = "dlq_micro_batch";

  /** The recompute's range starts here: user {@code moved} has a session from this instant. */
  private static final Instant FROM = Instant.parse("2026-11-23T13:00:00Z");

  private static Settings settings;
  private static SparkSession spark;
  private static int exitStatus;
  private static int microBatchExitStatus;

  @BeforeAll
  static void runThePipelineOverTheEdges() throws Exception {
    // CreateTime, and no retention: the records carry timestamps two weeks old, which the default retention deletes
    KAFKA.createTopic("user_activity", 4, Map.of("message.timestamp.type", "CreateTime", "retention.ms", "-1"));
    KAFKA.createTopic("enriched_activity", 4);
    KAFKA.createTopic("user_activity_dlq", 1, IngestSink.deadLetterTopicConfigs());
    KAFKA.createTopic(MICRO_BATCH_ENRICHED, 4);
    KAFKA.createTopic(MICRO_BATCH_DLQ, 1, IngestSink.deadLetterTopicConfigs());
    Path dir = Files.createTempDirectory("record-verdict-");
    DatabaseRoles roles = PG.createRoles();
    Settings.Builder run = ClickstreamData.settings(KAFKA.bootstrapServers(), PG.jdbcUrl(), roles.writer(),
        roles.writerPassword(), dir, "available-now").sparkMaster("local[6]");
    settings = run.build();
    dev.clickstream.app.sink.SchemaMigrations.migrate(new dev.clickstream.app.sink.DatabaseConfig(PG.jdbcUrl(),
        roles.owner(), roles.ownerPassword()), roles.writer(), Duration.ofSeconds(10));
    send(settings.triggers().maxEventTimeSkew());

    spark = SparkSession.builder().config(dev.clickstream.app.SparkSessionConfig.of(settings))
        .config("spark.ui.enabled", "false").getOrCreate();
    exitStatus = new PipelineRuntime(spark, settings).runUntilDone();
    microBatchExitStatus = new PipelineRuntime(spark, run.copy().ingestMode(dev.clickstream.app.config.IngestMode.MICRO_BATCH)
        .enrichedTopic(MICRO_BATCH_ENRICHED).dlqTopic(MICRO_BATCH_DLQ).checkpointRoot(dir.resolve("micro-batch-checkpoints"))
        .build(), Set.of(dev.clickstream.contract.Query.INGEST)).runUntilDone();
    // a late event of user moved, 30 s before its session's start and the range's: the live queries drop it (their
    // watermark is at 13:38), the lake keeps it
    sendAtEventTime(pageView("moved-late", FROM.minusSeconds(30), "moved", "/moved"));
    lateRunExitStatus = new PipelineRuntime(spark, settings).runUntilDone();
  }

  private static int lateRunExitStatus;

  /** Sends one record whose Kafka timestamp is its event time. */
  private static void sendAtEventTime(String json) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      String time = json.replaceAll(".*\"event_time\":\"([^\"]+)\".*", "$1");
      String user = json.replaceAll(".*\"user_id\":\"([^\"]+)\".*", "$1");
      producer.send(record(user, Instant.parse(time), json)).get();
    }
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static String pageView(String eventId, Instant time, String user, String page) {
    return "{\"event_id\":\"" + eventId + "\",\"event_time\":\"" + time + "\",\"user_id\":\"" + user
        + "\",\"page_url\":\"" + page + "\",\"event_type\":\"page_view\"}";
  }

  private static void send(Duration skew) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // the producer checks a record's uncompressed size against this; the broker the compressed batch's
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * BIG_VALUE_BYTES);
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
      records.add(record("u1", SENT, pageView("pv-1", SENT.minusSeconds(30), "u1", "/a")));
      records.add(record("edge-valid", SENT, pageView("edge-valid", SENT.plus(skew).minusSeconds(1), "edge-valid", "/edge-valid")));
      records.add(record("edge-future", SENT, pageView("edge-future", SENT.plus(skew).plusSeconds(1), "edge-future", "/edge-future")));
      records.add(record("u3", SENT, "{\"event_id\":\"buy-1\",\"event_time\":\"" + SENT.minusSeconds(20) + "\",\"user_id\":\"u3\","
          + "\"page_url\":\"/checkout\",\"event_type\":\"purchase\",\"product_id\":\"p-1\",\"category\":\"books\","
          + "\"price\":10.00,\"quantity\":1,\"currency\":\"EUR\",\"order_id\":\"o-1\"}"));
      records.add(record("u4", SENT, pageView("order:o-1", SENT.minusSeconds(10), "u4", "/order-key")));
      byte[] big = new byte[BIG_VALUE_BYTES];
      Arrays.fill(big, (byte) 'x');
      records.add(new ProducerRecord<>("user_activity", null, SENT.toEpochMilli(), "big", big));
      // the recompute's user, and an event 40 minutes on that moves the watermarks past the session's end
      records.add(record("moved", FROM, pageView("moved-1", FROM, "moved", "/moved")));
      records.add(record("clock", FROM.plusSeconds(2400), pageView("clock-1", FROM.plusSeconds(2400), "clock", "/clock")));
      for (var r : records) {
        producer.send(r).get();
      }
    }
  }

  private static ProducerRecord<String, byte[]> record(String key, Instant timestamp, String json) {
    return new ProducerRecord<>("user_activity", null, timestamp.toEpochMilli(), key, json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void everyRunEndsNormally() {
    assertThat(exitStatus).isZero();
    assertThat(microBatchExitStatus).isZero();
    assertThat(lateRunExitStatus).isZero();
  }

  /**
   * The range [13:00, 13:30): user moved's session started at 13:00:00 in the live run; the lake also holds its
   * event at 12:59:30, which the live query dropped as late, so recomputed the session starts before the range.
   */
  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // rewrites user_sessions
  void aRecomputeWaitsForTheLakeIsAtomicAndKeepsASessionWhoseStartMoved() throws Exception {
    Instant to = FROM.plusSeconds(1800);
    var db = new dev.clickstream.app.sink.DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password())).containsKey("moved " + FROM);

    // the live sessions query reads on (an event at 14:20 and the no-data micro-batch that moves its watermark),
    // the lake does not: the sessions it closed in the range may hold events the lake lacks
    sendAtEventTime(pageView("clock-2", FROM.plusSeconds(4800), "clock", "/clock"));
    assertThat(new PipelineRuntime(spark, settings, Set.of(dev.clickstream.contract.Query.ANALYTICS,
        dev.clickstream.contract.Query.USER_SESSIONS)).runUntilDone()).isZero();
    assertThatThrownBy(() -> Recompute.recompute(spark, settings, db, FROM, to))
        .isInstanceOf(dev.clickstream.contract.StartupFailure.class)
        .hasMessageContaining("the lake has not committed every event the live user-sessions query counted")
        .hasMessageMatching("(?s).*user_activity partition \\d: lake at offset \\d+, user-sessions at \\d+.*");
    assertThat(new PipelineRuntime(spark, settings, Set.of(dev.clickstream.contract.Query.LAKE)).runUntilDone()).isZero();

    // an insert that fails for good rolls the deletions back: the old session is still there
    Results.execute(PG.jdbcUrl(), PG.user(), PG.password(), "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql "
        + "AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
        "CREATE TRIGGER refuse_inserts BEFORE INSERT ON user_sessions FOR EACH ROW EXECUTE FUNCTION refuse()");
    assertThatThrownBy(() -> Recompute.recompute(spark, settings, db, FROM, to)).hasMessageContaining("refused by the test");
    assertThat(Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password())).containsKey("moved " + FROM);
    Results.execute(PG.jdbcUrl(), PG.user(), PG.password(), "DROP TRIGGER refuse_inserts ON user_sessions");

    List<String> lines = Recompute.recompute(spark, settings, db, FROM, to);

    assertThat(lines).anyMatch(l -> l.startsWith("sessions in [" + FROM + ", " + to + "): 1 rows deleted, 1 written"));
    Map<String, String> sessions = Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(sessions).doesNotContainKey("moved " + FROM).containsKey("moved " + FROM.minusSeconds(30));
    List<Long> events = new ArrayList<>();
    Results.query(PG.jdbcUrl(), PG.user(), PG.password(), "SELECT event_count FROM user_sessions WHERE user_id = 'moved'",
        rs -> events.add(rs.getLong(1)));
    assertThat(events).containsExactly(2L);
  }

  @Test
  void aRecordNearTheSkewBoundHasOneVerdictInEveryQueryAndBothIngestModes() throws Exception {
    for (String topic : List.of("enriched_activity", MICRO_BATCH_ENRICHED)) {
      List<String> enriched = consume(topic).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
      assertThat(enriched).as(topic).anyMatch(v -> v.contains("\"event_id\":\"edge-valid\""))
          .noneMatch(v -> v.contains("\"event_id\":\"edge-future\""));
    }
    for (String topic : List.of("user_activity_dlq", MICRO_BATCH_DLQ)) {
      List<String> reasons = consume(topic).stream()
          .filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains("edge-"))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8).contains("edge-future") + " " + header(r, "reason")).toList();
      assertThat(reasons).as(topic).containsExactly("true event_time_in_future");
    }
    List<String> lakeIds = spark.read().format("delta").load(settings.lake().eventsPath()).select("event_id")
        .collectAsList().stream().map(r -> r.getString(0)).toList();
    assertThat(lakeIds).contains("edge-valid").doesNotContain("edge-future");
    Map<String, Long> views = Results.pageViewCounts(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(views.keySet()).anyMatch(k -> k.endsWith(" /edge-valid")).noneMatch(k -> k.endsWith(" /edge-future"));
    Map<String, String> sessions = Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(sessions.keySet()).anyMatch(k -> k.startsWith("edge-valid")).noneMatch(k -> k.startsWith("edge-future"));
  }

  @Test
  void anEventIdEqualToAnOrdersOldDedupeKeyHidesNeitherEvent() throws Exception {
    Map<String, Long> views = Results.pageViewCounts(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(views.entrySet()).filteredOn(e -> e.getKey().endsWith(" /order-key")).extracting(Map.Entry::getValue)
        .containsExactly(1L);
    List<String> orders = new ArrayList<>();
    Results.query(PG.jdbcUrl(), PG.user(), PG.password(), "SELECT category, currency, orders, revenue FROM category_revenue",
        rs -> orders.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3) + " " + rs.getBigDecimal(4).toPlainString()));
    assertThat(orders).containsExactly("books EUR 1 10.00");
  }

  @Test
  void aValueLargerThanTheDeadLetterTopicTakesIsCutWithItsOriginalSize() {
    for (String topic : List.of("user_activity_dlq", MICRO_BATCH_DLQ)) {
      List<ConsumerRecord<byte[], byte[]>> big = consume(topic).stream()
          .filter(r -> "big".equals(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8))).toList();
      assertThat(big).as(topic).hasSize(1);
      ConsumerRecord<byte[], byte[]> r = big.get(0);
      assertThat(r.value().length).isEqualTo(EventParser.MAX_DEAD_LETTER_VALUE_BYTES);
      assertThat(new String(r.value(), StandardCharsets.UTF_8)).matches("x+");
      assertThat(header(r, "truncated")).isEqualTo("true");
      assertThat(header(r, "original_size")).isEqualTo(String.valueOf(BIG_VALUE_BYTES));
      assertThat(header(r, "reason")).isEqualTo("record_too_large");
      assertThat(header(r, "source_offset")).matches("\\d+");
      assertThat(r.headers().lastHeader("original_key_size")).isNull();
    }
    List<ConsumerRecord<byte[], byte[]>> others = consume("user_activity_dlq").stream()
        .filter(r -> !"big".equals(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8))).toList();
    assertThat(others).isNotEmpty().allSatisfy(r -> assertThat(r.headers().lastHeader("truncated")).isNull());
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    assertThat(h).as("header %s", name).isNotNull();
    return new String(h.value(), StandardCharsets.UTF_8);
  }

  /** @return every record of the topic, read from the start until it has nothing more */
  private static List<ConsumerRecord<byte[], byte[]>> consume(String topic) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (var consumer = new KafkaConsumer<byte[], byte[]>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "verdict-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
    }
    return records;
  }
}
