package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.app.config.Settings;
import dev.clickstream.app.source.InputTopic;
import dev.clickstream.testkit.DatabaseRoles;
import dev.clickstream.testkit.KafkaBrokerExtension;
import dev.clickstream.testkit.PostgresExtension;
import dev.clickstream.testkit.PrometheusText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole pipeline in this JVM (Spark local[6]: 4 input partitions + 2 slots, so ingest runs in real-time mode;
 * in-process Kafka, embedded Postgres) over the oracle data set, run once with {@code available-now}, compared row by
 * row with {@link Oracle}; then the ingest query alone in micro-batch mode over the same topic, whose enriched and
 * dead-letter records must equal the real-time run's; last, two queries are rebuilt from the lake and compared with
 * the oracle of a run that saw every event on time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineOracleTest {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

  private static ClickstreamData data;
  private static Oracle oracle;
  private static Settings settings;
  private static SparkSession spark;
  private static int exitStatus;
  private static PipelineRuntime pipeline;
  /** The ingest query alone, in micro-batch mode, over the same input, to topics of its own. */
  private static PipelineRuntime microBatchIngest;
  private static int microBatchExitStatus;
  static final String MICRO_BATCH_ENRICHED = "enriched_activity_micro_batch";
  static final String MICRO_BATCH_DLQ = "user_activity_dlq_micro_batch";

  @BeforeAll
  static void runThePipelineOnce() throws Exception {
    KAFKA.createTopic("user_activity", 4, InputTopic.configs());
    KAFKA.createTopic("enriched_activity", 4);
    KAFKA.createTopic("user_activity_dlq", 1, dev.clickstream.app.sink.IngestSink.deadLetterTopicConfigs());
    data = new ClickstreamData(20261123L);
    oracle = new Oracle(data.records, data.firstChunk().size());
    ClickstreamData.send(KAFKA.bootstrapServers(), "user_activity", data.records, 0);

    Path dir = Files.createTempDirectory("pipeline-oracle-");
    // the chart's roles: the sinks write as the writer, with the grants the owner gives it after migrating
    DatabaseRoles roles = PG.createRoles();
    Settings.Builder run = ClickstreamData.settings(KAFKA.bootstrapServers(), PG.jdbcUrl(), roles.writer(),
        roles.writerPassword(), dir, "available-now").sparkMaster("local[6]");
    settings = run.build(); // INGEST_MODE unset: real-time, by the slots
    dev.clickstream.app.sink.SchemaMigrations.migrate(new dev.clickstream.app.sink.DatabaseConfig(PG.jdbcUrl(),
        roles.owner(), roles.ownerPassword()), roles.writer(), java.time.Duration.ofSeconds(10));
    // a constraint added by hand, narrower than the contract: Postgres refuses the one page view whose page_url is
    // at the contract's bound (2,048 bytes); that row must go to rejected_rows and everything else be written
    Results.execute(PG.jdbcUrl(), PG.user(), PG.password(), "ALTER TABLE page_view_counts ADD CONSTRAINT "
        + "page_url_at_most_1_kib CHECK (octet_length(page_url) <= " + REFUSED_URL_BYTES + ")");
    spark = SparkSession.builder().config(dev.clickstream.app.SparkSessionConfig.of(settings))
        .config("spark.ui.enabled", "false").getOrCreate();
    pipeline = new PipelineRuntime(spark, settings);
    exitStatus = pipeline.runUntilDone();

    KAFKA.createTopic(MICRO_BATCH_ENRICHED, 4);
    KAFKA.createTopic(MICRO_BATCH_DLQ, 1, dev.clickstream.app.sink.IngestSink.deadLetterTopicConfigs());
    microBatchIngest = new PipelineRuntime(spark, run.copy().ingestMode(dev.clickstream.app.config.IngestMode.MICRO_BATCH)
        .enrichedTopic(MICRO_BATCH_ENRICHED).dlqTopic(MICRO_BATCH_DLQ).checkpointRoot(dir.resolve("micro-batch-checkpoints"))
        .build(), Set.of(dev.clickstream.contract.Query.INGEST));
    microBatchExitStatus = microBatchIngest.runUntilDone();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void availableNowRunEndsWithStatusZero() {
    assertThat(exitStatus).isZero();
    assertThat(microBatchExitStatus).isZero();
    assertThat(pipeline.ingestMode()).as("6 slots >= 4 partitions + 2").isEqualTo(dev.clickstream.app.config.IngestMode.REAL_TIME);
    assertThat(microBatchIngest.ingestMode()).isEqualTo(dev.clickstream.app.config.IngestMode.MICRO_BATCH);
    assertThat(oracle.droppedLate).as("late records beyond the watermark in the data set").isGreaterThan(500);
  }

  @Test
  void pageViewCountsEqualTheOracleRowByRow() throws Exception {
    Map<String, Long> actual = Results.pageViewCounts(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(actual).hasSizeGreaterThan(1000);
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(accepted(oracle.pageViewCounts));
    assertThat(oracle.pageViewCounts).hasSize(actual.size() + 1);
  }

  /** The page_url length over which the hand-made constraint of this run makes Postgres refuse a row, bytes. */
  static final int REFUSED_URL_BYTES = 1024;

  /** @return the oracle's page-view rows without those the hand-made constraint refuses */
  private static Map<String, Long> accepted(Map<String, Long> pageViewCounts) {
    return only(pageViewCounts, (k, v) -> k.substring(k.indexOf(' ') + 1).length() <= REFUSED_URL_BYTES);
  }

  /**
   * The row Postgres refused (a page_url within the contract, beyond the hand-made constraint) is in rejected_rows
   * with its key, SQL state and message, counted in the metrics; the query went on, and every other row is written
   * (the row-by-row comparisons).
   */
  @Test
  void aRowPostgresRefusesIsRecordedInRejectedRowsAndTheQueryGoesOn() throws Exception {
    List<String> rejected = new java.util.ArrayList<>();
    Results.query(PG.jdbcUrl(), PG.user(), PG.password(), "SELECT table_name, length(row_key->>'page_url'), sql_state, "
        + "query, message FROM rejected_rows WHERE query = 'analytics'", rs -> rejected.add(rs.getString(1) + " "
        + rs.getInt(2) + " " + rs.getString(3) + " " + rs.getString(4) + " " + rs.getString(5).contains("page_url_at_most_1_kib")));
    assertThat(rejected).containsExactly("page_view_counts 2048 23514 analytics true");
    assertThat(exitStatus).isZero();
    PrometheusText t = PrometheusText.parse(pipeline.metrics().scrape());
    assertThat(t.value("clickstream_rejected_rows_total", "table", "page_view_counts")).hasValue(1);
    assertThat(t.value("clickstream_rejected_rows_total", "table", "user_sessions")).hasValue(0);
  }

  @Test
  void userSessionsEqualTheOracleRowByRow() throws Exception {
    Map<String, String> actual = Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(oracle.sessions.values()).anyMatch(v -> v.endsWith("timed_out")).anyMatch(v -> v.endsWith(" ended"))
        .anyMatch(v -> v.endsWith("active"));
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(oracle.sessions);
  }

  @Test
  void commerceTablesEqualTheOracleRowByRow() throws Exception {
    Map<String, String> actual = Results.commerce(PG.jdbcUrl(), PG.user(), PG.password());
    for (var table : Results.COMMERCE_TABLES) {
      assertThat(oracle.commerceRows.keySet()).as("the data set has %s rows", table)
          .anyMatch(k -> k.startsWith(table.tableName() + " "));
    }
    // resent purchases are in the data set (and the oracle counts each order once)
    List<String> sentOrders = data.records.stream().filter(r -> r.kind() == dev.clickstream.producer.ProducedRecord.Kind.ON_TIME
        && r.event().orderId() != null).map(r -> r.event().orderId()).toList();
    assertThat(sentOrders.size() - new java.util.HashSet<>(sentOrders).size()).as("resent purchases").isGreaterThan(10);
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(oracle.commerceRows);
  }

  /**
   * The update-mode aggregation runs no micro-batch without data (its rows above equal the oracle all the same);
   * user-sessions does, to time out the sessions still open when input ends (the oracle's {@code timed_out} rows).
   * A micro-batch without data is one whose source offsets are those of the micro-batch before it.
   */
  @Test
  void onlyUserSessionsRunsMicroBatchesWithoutData() throws Exception {
    assertThat(microBatches(dev.clickstream.contract.Query.ANALYTICS.queryName())).as("analytics micro-batches").isGreaterThan(1);
    assertThat(microBatchesWithoutData(dev.clickstream.contract.Query.ANALYTICS.queryName())).as("analytics micro-batches without data").isZero();
    assertThat(microBatchesWithoutData(dev.clickstream.contract.Query.USER_SESSIONS.queryName())).as("user-sessions micro-batches without data")
        .isPositive();
  }

  private static long microBatches(String query) throws java.io.IOException {
    try (var files = Files.list(Path.of(settings.checkpointFor(dev.clickstream.contract.Query.named(query)), "offsets"))) {
      return files.filter(f -> f.getFileName().toString().matches("\\d+")).count();
    }
  }

  /** Micro-batches whose offsets file lists the same source offsets (lines 3 on) as the one before. */
  private static long microBatchesWithoutData(String query) throws java.io.IOException {
    Path offsets = Path.of(settings.checkpointFor(dev.clickstream.contract.Query.named(query)), "offsets");
    long same = 0;
    long batches = microBatches(query);
    for (long batch = 1; batch < batches; batch++) {
      List<String> before = Files.readAllLines(offsets.resolve(String.valueOf(batch - 1)));
      List<String> now = Files.readAllLines(offsets.resolve(String.valueOf(batch)));
      if (before.subList(2, before.size()).equals(now.subList(2, now.size()))) {
        same++;
      }
    }
    return same;
  }

  @Test
  void activeUsersAreWithinTheSketchErrorOfTheOracle() throws Exception {
    Map<Instant, Long> actual = Results.activeUsers(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(oracle.activeUsers.keySet());
    int exact = 0;
    for (Map.Entry<Instant, Long> expected : oracle.activeUsers.entrySet()) {
      long got = actual.get(expected.getKey());
      // HLL sketch with lgConfigK 14 (standard error 0.8%): within 3 standard deviations, rounded up to 3%
      assertThat((double) got).as("window %s", expected.getKey())
          .isCloseTo(expected.getValue(), org.assertj.core.data.Offset.offset(Math.max(1.0, 0.03 * expected.getValue())));
      exact += got == expected.getValue() ? 1 : 0;
    }
    System.out.printf("active_users: %d of %d windows exact%n", exact, oracle.activeUsers.size());
  }

  @Test
  void theLakeIsADeltaTableWithEveryValidEventOnceIncludingLateOnes() throws Exception {
    Dataset<Row> lake = spark.read().format("delta").load(settings.lake().eventsPath());
    assertThat(lake.count()).isEqualTo(oracle.validCount);
    assertThat(lake.select("event_id").distinct().count()).as("resends are kept").isEqualTo(oracle.validEventIds.size())
        .isLessThan(oracle.validCount);
    assertThat(lake.columns()).contains("event_id", "event_time", "user_id", "page_url", "event_type", "event_date",
        "kafka_partition", "kafka_offset", "kafka_timestamp");
    assertThat(lake.schema().apply("event_time").dataType().typeName()).isEqualTo("timestamp");
    List<Row> dates = lake.groupBy("event_date").count().collectAsList();
    assertThat(dates).extracting(r -> String.valueOf(r.get(0))).contains("2026-11-23");
    assertThat(Path.of(settings.lake().eventsPath(), "event_date=2026-11-23")).isDirectory();
    // Delta Kernel, no Spark: the same rows
    List<String> ids = KernelLake.eventIds(settings.lake().eventsPath());
    assertThat(ids.stream().sorted().toList()).as("every valid record once").isEqualTo(oracle.lakeEventIds);
    // one idempotent Delta commit per lake micro-batch: a txn action with the lake query's id (from its
    // checkpoint's metadata) and the batch id
    String lakeId = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(Path.of(settings.checkpointFor(dev.clickstream.contract.Query.LAKE), "metadata").toFile()).get("id").asText();
    List<Long> txnVersions = new java.util.ArrayList<>();
    try (var commits = Files.list(Path.of(settings.lake().eventsPath(), "_delta_log"))) {
      for (Path commit : commits.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        for (String line : Files.readAllLines(commit)) {
          if (line.startsWith("{\"txn\"")) {
            var txn = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("txn");
            assertThat(txn.get("appId").asText()).isEqualTo(lakeId);
            txnVersions.add(txn.get("version").asLong());
          }
        }
      }
    }
    long lakeBatches = PipelineProcess.commits(Path.of(settings.checkpointRoot()), dev.clickstream.contract.Query.LAKE.queryName());
    assertThat(lakeBatches).isGreaterThanOrEqualTo(data.records.size() / ClickstreamData.MAX_OFFSETS_PER_TRIGGER);
    assertThat(txnVersions).hasSize((int) lakeBatches).doesNotHaveDuplicates();
  }

  /**
   * The rows of a closed range, deleted from every table and rebuilt from the lake by the batch recompute, equal
   * those of a run that saw every event on time: the recompute counts the late events the live run dropped. Rows
   * outside the range are left as the live run wrote them.
   */
  @Test
  @Order(Integer.MAX_VALUE - 1) // changes the tables the other tests read
  void aRecomputedRangeEqualsTheOracleOfARunThatSawEveryEventOnTime() throws Exception {
    Oracle everyEventOnTime = new Oracle(data.records, data.records.size());
    Instant from = ClickstreamData.START.plus(java.time.Duration.ofMinutes(5));
    Instant to = ClickstreamData.START.plus(java.time.Duration.ofMinutes(20));
    var range = dev.clickstream.app.analytics.ClosedRange.of(from, to,
        Instant.ofEpochMilli(Checkpoints.watermarkMs(Path.of(settings.checkpointFor(dev.clickstream.contract.Query.ANALYTICS))).getAsLong()),
        Instant.ofEpochMilli(Checkpoints.watermarkMs(Path.of(settings.checkpointFor(dev.clickstream.contract.Query.USER_SESSIONS))).getAsLong()),
        settings.triggers().sessionTimeout());
    assertThat(range.windowsTo()).as("the data's windows up to 12:20 are closed").isEqualTo(to);
    assertThat(range.sessionsTo()).as("sessions up to the watermark less the timeout").isAfter(from).isBefore(to);
    java.util.function.Predicate<String> pageInRange = k -> windowInRange(Instant.parse(k.split(" ")[0]),
        java.time.Duration.ofMinutes(1), range);
    java.util.function.Predicate<Instant> usersInRange = start -> windowInRange(start, java.time.Duration.ofMinutes(5), range);
    java.util.function.Predicate<String> commerceInRange = k -> !Instant.parse(k.split(" ")[1]).isBefore(from)
        && !Instant.parse(k.substring(k.indexOf(" | ") + 3)).isAfter(range.windowsTo());
    // the closed sessions the recompute rewrites: ending in [from, sessionsTo), starting in the range or at most one
    // SESSION_TIMEOUT before it (a session that late events extend into the range is rewritten whole)
    java.util.function.BiPredicate<String, String> sessionInRange = (k, v) -> !v.startsWith("null ") && !v.endsWith(" active")
        && !Instant.parse(k.split(" ")[1]).isBefore(from.minus(settings.triggers().sessionTimeout()))
        && !Instant.parse(v.split(" ")[0]).isBefore(from) && Instant.parse(v.split(" ")[0]).isBefore(range.sessionsTo());
    assertThat(only(everyEventOnTime.pageViewCounts, pageInRange)).as("late events lie in the range")
        .isNotEqualTo(only(oracle.pageViewCounts, pageInRange));
    assertThat(only(everyEventOnTime.sessions, sessionInRange)).isNotEqualTo(only(oracle.sessions, sessionInRange));
    Map<String, Long> pagesBefore = Results.pageViewCounts(PG.jdbcUrl(), PG.user(), PG.password());
    Map<String, String> sessionsBefore = Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password());
    Map<String, String> commerceBefore = Results.commerce(PG.jdbcUrl(), PG.user(), PG.password());

    String windows = " WHERE window_start >= '" + from + "' AND window_end <= '" + range.windowsTo() + "'";
    List<String> deletes = new java.util.ArrayList<>();
    for (var table : dev.clickstream.contract.ResultTable.analytics()) {
      deletes.add("DELETE FROM " + table.tableName() + windows);
    }
    deletes.add("DELETE FROM user_sessions WHERE session_start >= '" + from + "' AND session_end < '" + range.sessionsTo() + "'");
    Results.execute(PG.jdbcUrl(), PG.user(), PG.password(), deletes.toArray(new String[0]));
    Map<String, String> sessionsDeleted = Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password());
    var db = new dev.clickstream.app.sink.DatabaseConfig(PG.jdbcUrl(), PG.user(), PG.password());

    List<String> lines = Recompute.recompute(spark, settings, db, from, to);

    assertThat(lines).hasSize(2);
    Map<String, Long> pages = Results.pageViewCounts(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(only(pages, pageInRange)).hasSizeGreaterThan(100)
        .containsExactlyInAnyOrderEntriesOf(only(accepted(everyEventOnTime.pageViewCounts), pageInRange));
    assertThat(only(pages, pageInRange.negate())).isEqualTo(only(pagesBefore, pageInRange.negate()));
    Map<String, String> commerce = Results.commerce(PG.jdbcUrl(), PG.user(), PG.password());
    assertThat(only(commerce, commerceInRange)).isNotEmpty()
        .containsExactlyInAnyOrderEntriesOf(only(everyEventOnTime.commerceRows, commerceInRange));
    assertThat(only(commerce, commerceInRange.negate())).isEqualTo(only(commerceBefore, commerceInRange.negate()));
    Map<String, String> sessions = Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password());
    // every session the recompute rewrites is the oracle's; every other row is one that was there before it ran, and
    // every row then that no rewritten session overlaps is still there
    Map<String, String> rewritten = only(everyEventOnTime.sessions, sessionInRange);
    assertThat(rewritten).hasSizeGreaterThan(10);
    assertThat(sessions).containsAllEntriesOf(rewritten);
    assertThat(sessionsDeleted).containsAllEntriesOf(only(sessions, (k, v) -> !rewritten.containsKey(k)));
    assertThat(sessions).containsAllEntriesOf(only(sessionsDeleted, (k, v) -> v.startsWith("null ")
        || rewritten.entrySet().stream().noneMatch(r -> overlaps(k, v, r.getKey(), r.getValue()))));
    Map<Instant, Long> users = Results.activeUsers(PG.jdbcUrl(), PG.user(), PG.password());
    var expectedUsers = only(everyEventOnTime.activeUsers, usersInRange);
    assertThat(only(users, usersInRange).keySet()).isNotEmpty().isEqualTo(expectedUsers.keySet());
    expectedUsers.forEach((start, expected) -> assertThat((double) users.get(start)).as("window %s", start)
        .isCloseTo(expected, org.assertj.core.data.Offset.offset(Math.max(1.0, 0.03 * expected))));

    // twice: the same rows
    Recompute.recompute(spark, settings, db, from, to);
    assertThat(Results.pageViewCounts(PG.jdbcUrl(), PG.user(), PG.password())).isEqualTo(pages);
    assertThat(Results.userSessions(PG.jdbcUrl(), PG.user(), PG.password())).isEqualTo(sessions);
  }

  /** @return whether two closed sessions ({@link Oracle#sessionKey}, {@link Oracle#sessionValue}) of one user overlap */
  private static boolean overlaps(String key, String value, String otherKey, String otherValue) {
    String[] k = key.split(" ");
    String[] o = otherKey.split(" ");
    return k[0].equals(o[0]) && !Instant.parse(k[1]).isAfter(Instant.parse(otherValue.split(" ")[0]))
        && !Instant.parse(o[1]).isAfter(Instant.parse(value.split(" ")[0]));
  }

  private static boolean windowInRange(Instant start, java.time.Duration length,
      dev.clickstream.app.analytics.ClosedRange range) {
    return !start.isBefore(range.from()) && !start.plus(length).isAfter(range.windowsTo());
  }

  private static <K, V> Map<K, V> only(Map<K, V> rows, java.util.function.Predicate<K> keep) {
    Map<K, V> out = new java.util.TreeMap<>();
    rows.forEach((k, v) -> {
      if (keep.test(k)) {
        out.put(k, v);
      }
    });
    return out;
  }

  private static <K, V> Map<K, V> only(Map<K, V> rows, java.util.function.BiPredicate<K, V> keep) {
    Map<K, V> out = new java.util.TreeMap<>();
    rows.forEach((k, v) -> {
      if (keep.test(k, v)) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** A new cluster with old checkpoints: the input topic starts again at offset 0, and may hold more than before. */
  @Test
  @Order(Integer.MAX_VALUE) // re-creates the input topic
  void aReCreatedInputTopicIsOneLineAndExitTwoNamingTheCheckpointToDelete() throws Exception {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of(
        org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      admin.deleteTopics(List.of("user_activity")).all().get();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("user_activity", 4, (short) 1).configs(InputTopic.configs()))).all().get();
        return true;
      });
    }
    // the new topic refills past every offset the checkpoints read: only its topic id tells it from the old one
    ClickstreamData.send(KAFKA.bootstrapServers(), "user_activity", data.records, 0);
    ClickstreamData.send(KAFKA.bootstrapServers(), "user_activity", data.records.subList(0, 5_000), 0);
    Results.Exit exit = Results.capturingStderr(() -> new PipelineRuntime(spark, settings).runUntilDone());
    assertThat(exit.status()).isEqualTo(2);
    String checkpoint = settings.checkpointFor(dev.clickstream.contract.Query.INGEST);
    assertThat(exit.stderr()).singleElement().asString()
        .startsWith("clickstream: topic user_activity has topic id ")
        .contains("but checkpoint " + checkpoint + " read topic id ")
        .endsWith("the topic was deleted and re-created; to read the new topic from its start, delete that checkpoint: "
            + "rm -r " + checkpoint);
    assertThat(spark.streams().active()).isEmpty();
  }

  /**
   * Real-time and micro-batch ingest write the same records: every enriched record equal but for its
   * processing_time, every dead letter equal (key, value, headers) but for its detected_at header; and count the
   * same rows per output, dead letters per reason and enriched latencies.
   */
  @Test
  void bothIngestModesWriteTheSameRecordsAndCountThemAlike() throws Exception {
    assertThat(enrichedById(MICRO_BATCH_ENRICHED)).hasSize(oracle.validEventIds.size())
        .isEqualTo(enrichedById("enriched_activity"));
    assertThat(deadLetters(MICRO_BATCH_DLQ)).hasSize(oracle.deadLetterReasonByValue.size())
        .isEqualTo(deadLetters("user_activity_dlq"));
    PrometheusText realTime = PrometheusText.parse(pipeline.metrics().scrape());
    PrometheusText microBatch = PrometheusText.parse(microBatchIngest.metrics().scrape());
    for (String sink : List.of("enriched", "dead_letter")) {
      assertThat(microBatch.value("clickstream_sink_rows_total", "sink", sink)).as(sink)
          .isEqualTo(realTime.value("clickstream_sink_rows_total", "sink", sink));
    }
    for (String reason : dev.clickstream.contract.EventContract.REASONS) {
      assertThat(microBatch.value("clickstream_dead_letters_total", "reason", reason)).as(reason)
          .isEqualTo(realTime.value("clickstream_dead_letters_total", "reason", reason));
    }
    for (PrometheusText t : List.of(realTime, microBatch)) {
      assertThat(t.value("clickstream_enriched_latency_seconds_count")).hasValue(oracle.validCount);
      assertThat(t.value("clickstream_enriched_latency_seconds_bucket", "le", "+Inf")).hasValue(oracle.validCount);
      assertThat(t.value("clickstream_enriched_latency_seconds_sum").getAsDouble()).isPositive();
    }
    assertThat(realTime.value("clickstream_trigger_interval_seconds", "query", "ingest")).as("the real-time batch")
        .hasValue(settings.triggers().realTimeBatchDuration().toSeconds());
  }

  /** @return event_id -> (key, the enriched JSON without processing_time) of the topic's first copy of each */
  private static Map<String, String> enrichedById(String topic) throws Exception {
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    Map<String, String> byId = new java.util.TreeMap<>();
    for (ConsumerRecord<String, String> r : Results.consumeAll(KAFKA.bootstrapServers(), topic)) {
      var json = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(r.value());
      json.remove("processing_time");
      byId.putIfAbsent(json.get("event_id").asText(), r.key() + " " + json);
    }
    return byId;
  }

  /** @return the topic's records as key, value and headers but detected_at, counted */
  private static Map<String, Long> deadLetters(String topic) {
    Map<String, Long> records = new java.util.TreeMap<>();
    for (ConsumerRecord<String, String> r : Results.consumeAll(KAFKA.bootstrapServers(), topic)) {
      StringBuilder headers = new StringBuilder();
      for (var h : r.headers()) {
        if (!h.key().equals("detected_at")) {
          headers.append(' ').append(h.key()).append('=').append(new String(h.value(), StandardCharsets.UTF_8));
        }
      }
      records.merge(r.key() + " " + r.value() + headers, 1L, Long::sum);
    }
    return records;
  }

  @Test
  void theEnrichedTopicHasEveryValidEventWithProcessingTime() throws Exception {
    List<ConsumerRecord<String, String>> records = Results.consumeAll(KAFKA.bootstrapServers(), "enriched_activity");
    Set<String> ids = new HashSet<>();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    for (ConsumerRecord<String, String> r : records) {
      var json = mapper.readTree(r.value());
      ids.add(json.get("event_id").asText());
      assertThat(r.key()).isEqualTo(json.get("user_id").asText());
      assertThat(json.get("processing_time").asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
      assertThat(json.get("event_date").asText()).isEqualTo(json.get("event_time").asText().substring(0, 10));
    }
    assertThat(ids).isEqualTo(oracle.validEventIds);
  }

  @Test
  void metricsCountEveryRecordOnceByQueryReasonAndSink() {
    PrometheusText t = PrometheusText.parse(pipeline.metrics().scrape());
    long valid = oracle.validCount; // records: a resend is a row of the lake and a record of the enriched topic
    long malformed = oracle.deadLetterReasonByValue.size();
    for (String query : dev.clickstream.contract.Query.names()) {
      assertThat(t.value("clickstream_input_rows_total", "query", query)).as(query + " read the topic once")
          .hasValue(data.records.size());
      assertThat(t.value("clickstream_query_up", "query", query)).as("ended").hasValue(0);
      // real-time ingest may read the whole topic in its first batch
      assertThat(t.value("clickstream_batches_total", "query", query).getAsDouble())
          .isGreaterThanOrEqualTo(query.equals(dev.clickstream.contract.Query.INGEST.queryName()) ? 1 : 2);
      assertThat(t.value("clickstream_batch_duration_seconds_count", "query", query))
          .isEqualTo(t.value("clickstream_batches_total", "query", query));
    }
    for (String query : List.of(dev.clickstream.contract.Query.LAKE.queryName(), dev.clickstream.contract.Query.ANALYTICS.queryName(), dev.clickstream.contract.Query.USER_SESSIONS.queryName())) {
      assertThat(t.value("clickstream_batch_part_seconds_total", "query", query, "part", "addBatch").getAsDouble())
          .as(query + ": where its micro-batches' time went").isPositive();
    }
    for (String stateful : List.of(dev.clickstream.contract.Query.ANALYTICS.queryName(), dev.clickstream.contract.Query.USER_SESSIONS.queryName())) {
      assertThat(t.value("clickstream_batch_part_seconds_total", "query", stateful, "part", "stateCommit"))
          .as(stateful + " commits its state").isPresent();
    }
    assertThat(t.value("clickstream_sink_rows_total", "sink", "lake")).hasValue(valid);
    assertThat(t.value("clickstream_sink_rows_total", "sink", "enriched")).hasValue(valid);
    assertThat(t.value("clickstream_sink_rows_total", "sink", "dead_letter")).hasValue(malformed);
    assertThat(t.value("clickstream_sink_rows_total", "sink", "page_view_counts").getAsDouble())
        .as("at least one upsert per final row").isGreaterThanOrEqualTo(oracle.pageViewCounts.size());
    assertThat(t.value("clickstream_sink_errors_total", "sink", "user_sessions")).hasValue(0);

    Map<String, Long> byReason = new java.util.TreeMap<>();
    for (var r : data.records) {
      if (r.kind() == dev.clickstream.producer.ProducedRecord.Kind.MALFORMED && r.malformedKind() == null) {
        try { // a hand-made hostile record: the producer's codec says why
          dev.clickstream.producer.EventCodec.fromJson(r.value(), java.time.Instant.now(), Oracle.MAX_EVENT_TIME_SKEW);
        } catch (dev.clickstream.producer.MalformedEventException e) {
          byReason.merge(e.reason(), 1L, Long::sum);
        }
      } else if (r.event().eventTime().equals(ClickstreamData.FUTURE)) {
        byReason.merge("event_time_in_future", 1L, Long::sum);
      } else if (r.kind() == dev.clickstream.producer.ProducedRecord.Kind.MALFORMED) {
        String code = switch (r.malformedKind()) {
          case NOT_JSON -> "not_json";
          case MISSING_USER_ID -> "user_id_is_missing";
          case BAD_EVENT_TIME -> "unparsable_event_time";
          case UNKNOWN_EVENT_TYPE -> "unknown_event_type";
          case MISSING_ORDER_ID -> "order_id_is_missing";
          case NEGATIVE_PRICE -> "invalid_price";
        };
        byReason.merge(code, 1L, Long::sum);
      }
    }
    assertThat(byReason).hasSize(10).containsEntry("event_time_in_future", 2L).containsEntry("nul_character", 2L)
        .containsEntry("field_too_long", 1L).containsEntry("record_too_large", 2L);
    for (String reason : dev.clickstream.contract.EventContract.REASONS) {
      assertThat(t.value("clickstream_dead_letters_total", "reason", reason)).as(reason)
          .hasValue(byReason.getOrDefault(reason, 0L));
    }
    // every late record after the first chunk is dropped by the stateful queries (ClickstreamData)
    assertThat(t.value("clickstream_late_rows_dropped_total", "query", "analytics").getAsDouble()).isPositive();
    assertThat(t.value("clickstream_late_rows_dropped_total", "query", "user-sessions").getAsDouble()).isPositive();
    assertThat(t.value("clickstream_state_rows", "query", "user-sessions").getAsDouble()).isPositive();
    assertThat(t.value("clickstream_watermark_lag_seconds", "query", "analytics").getAsDouble())
        .as("the data's event time is in the past").isPositive();
  }

  @Test
  void everyMalformedRecordIsInTheDeadLetterTopicUnchangedWithItsReason() {
    List<ConsumerRecord<String, String>> records = Results.consumeAll(KAFKA.bootstrapServers(), "user_activity_dlq");
    assertThat(records).hasSize(oracle.deadLetterReasonByValue.size());
    for (ConsumerRecord<String, String> r : records) {
      assertThat(oracle.deadLetterReasonByValue).containsKey(r.value());
      assertThat(header(r, "error")).startsWith(oracle.deadLetterReasonByValue.get(r.value()));
      assertThat(dev.clickstream.contract.EventContract.REASONS).contains(header(r, "reason"));
      assertThat(header(r, "source_topic")).isEqualTo("user_activity");
      assertThat(Integer.parseInt(header(r, "source_partition"))).isBetween(0, 3);
      assertThat(Long.parseLong(header(r, "source_offset"))).isNotNegative();
      assertThat(header(r, "detected_at")).endsWith("Z");
    }
  }

  private static String header(ConsumerRecord<String, String> r, String name) {
    var h = r.headers().lastHeader(name);
    assertThat(h).as("header %s", name).isNotNull();
    return new String(h.value(), StandardCharsets.UTF_8);
  }
}
