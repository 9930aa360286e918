package dev.clickstream.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.contract.StartupFailure;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SettingsTest {
  private static final Map<String, String> DB = Map.of(
      "JDBC_URL", "jdbc:postgresql://db:5432/clickstream", "DB_USER", "clickstream", "DB_PASSWORD", "s3cret");

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>(DB);
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void defaultsFollowTheDesign() {
    Settings s = Settings.parse(new String[0], DB);
    assertThat(s.kafka().bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(s.kafka().inputTopic()).isEqualTo("user_activity");
    assertThat(s.kafka().enrichedTopic()).isEqualTo("enriched_activity");
    assertThat(s.kafka().dlqTopic()).isEqualTo("user_activity_dlq");
    assertThat(s.triggers().interval()).isEqualTo(new TriggerSpec(Duration.ofSeconds(5)));
    assertThat(s.triggers().watermarkDelay()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.triggers().sessionTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(s.kafka().startingOffsets()).isEqualTo("earliest");
    assertThat(s.kafka().maxOffsetsPerTrigger()).isEmpty();
    assertThat(s.sparkMaster()).isEqualTo("local[*]");
    assertThat(s.checkpointFor(dev.clickstream.contract.Query.ANALYTICS)).isEqualTo("./data/checkpoints/analytics");
    assertThat(s.lake().eventsPath()).isEqualTo("./data/lake/events");
    assertThat(s.lake().trigger()).isEqualTo(new TriggerSpec(Duration.ofMinutes(1)));
    assertThat(s.lakeQueryTrigger()).isEqualTo(new TriggerSpec(Duration.ofMinutes(1)));
    assertThat(s.lake().vacuumRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(s.lake().maintenanceInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(s.metrics().port()).isEqualTo(9464);
    assertThat(s.metrics().bindAddress()).as("loopback unless told otherwise").isEqualTo("127.0.0.1");
    assertThat(s.metrics().lagInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(s.postgres().migrationUser()).as("one role unless told otherwise").isEqualTo("clickstream");
    assertThat(s.postgres().migrationPassword()).isEqualTo("s3cret");
    assertThat(s.triggers().maxEventTimeSkew()).isEqualTo(Duration.ofMinutes(1));
    assertThat(s.postgres().retryTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.triggers().stopTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.faultHaltAfterBatch()).isEmpty();
    assertThat(s.triggers().ingestMode()).as("chosen by task slots at start").isEmpty();
    assertThat(s.triggers().realTimeBatchDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.triggers().realTimeFetchWait()).as("off: Kafka's fetch.min.bytes of 1").isZero();
  }

  @Test
  void ingestModeIsMicroBatchOrRealTimeWithBatchesOfAtLeastFiveSeconds() {
    assertThat(Settings.parse(new String[] {"--ingest-mode=real-time"}, DB).triggers().ingestMode())
        .contains(dev.clickstream.app.config.IngestMode.REAL_TIME);
    assertThat(Settings.parse(new String[0], env("INGEST_MODE", "Micro-Batch")).triggers().ingestMode())
        .contains(dev.clickstream.app.config.IngestMode.MICRO_BATCH);
    assertThatThrownBy(() -> Settings.parse(new String[0], env("INGEST_MODE", "continuous")))
        .isInstanceOf(StartupFailure.class).hasMessage("INGEST_MODE: 'continuous' is neither micro-batch nor real-time");
    assertThat(Settings.parse(new String[0], env("REAL_TIME_BATCH_DURATION", "30 s")).triggers().realTimeBatchDuration())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> Settings.parse(new String[0], env("REAL_TIME_BATCH_DURATION", "1 second")))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("REAL_TIME_BATCH_DURATION must be at least 5 seconds, Spark's minimum (got 1000 ms)");
    assertThat(Settings.parse(new String[] {"--real-time-fetch-wait=50ms"}, DB).triggers().realTimeFetchWait())
        .isEqualTo(Duration.ofMillis(50));
    assertThat(Settings.parse(new String[0], env("REAL_TIME_FETCH_WAIT", "500 ms")).describe())
        .containsEntry("REAL_TIME_FETCH_WAIT", "500 ms");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("REAL_TIME_FETCH_WAIT", "1 second")))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("REAL_TIME_FETCH_WAIT must be at most 500 ms, Kafka's default fetch.max.wait.ms (got 1000 ms)");
  }

  @Test
  void theFaultHookNamesAQueryAndAMicroBatch() {
    Settings s = Settings.parse(new String[0], env("FAULT_HALT_AFTER_BATCH", "analytics:5"));
    assertThat(s.faultHaltAfterBatch()).contains(new Settings.FaultPoint(dev.clickstream.contract.Query.ANALYTICS, 5));
    assertThat(s.describe()).containsEntry("FAULT_HALT_AFTER_BATCH", "analytics:5");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("FAULT_HALT_AFTER_BATCH", "analytics")))
        .hasMessage("FAULT_HALT_AFTER_BATCH: 'analytics' is not <query>:<batchId>, e.g. analytics:5");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("FAULT_HALT_AFTER_BATCH", "sessions:1")))
        .hasMessage("FAULT_HALT_AFTER_BATCH: unknown query sessions; known: [ingest, lake, analytics, user-sessions]");
    // the hook wraps a foreachBatch sink; the Kafka sink of ingest has none, so naming it is refused
    assertThatThrownBy(() -> Settings.parse(new String[0], env("FAULT_HALT_AFTER_BATCH", "ingest:0")))
        .isInstanceOf(StartupFailure.class).hasFieldOrPropertyWithValue("exitStatus", 2)
        .hasMessage("FAULT_HALT_AFTER_BATCH: ingest has no foreachBatch sink to halt after; choose one of "
            + "[lake, analytics, user-sessions]");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("STOP_TIMEOUT", "0s")))
        .hasMessage("STOP_TIMEOUT must be > 0");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("DB_RETRY_TIMEOUT", "soon")))
        .hasMessageStartingWith("DB_RETRY_TIMEOUT: ");
  }

  /** The builder is a typed front of the same parsing: same values, same one-line errors. */
  @Test
  void theBuilderValidatesAsTheEnvironmentDoes() {
    Settings built = Settings.builder().database("jdbc:postgresql://db:5432/clickstream", "clickstream", "s3cret")
        .kafkaBootstrapServers("kafka:9092").checkpointRoot(java.nio.file.Path.of("/data/checkpoints"))
        .triggerInterval(Duration.ofSeconds(10)).watermarkDelay(Duration.ofMinutes(4)).metricsPort(0)
        .ingestMode(IngestMode.MICRO_BATCH).faultHaltAfterBatch(dev.clickstream.contract.Query.LAKE, 3).build();
    Settings parsed = Settings.parse(new String[0], Map.of("JDBC_URL", "jdbc:postgresql://db:5432/clickstream",
        "DB_USER", "clickstream", "DB_PASSWORD", "s3cret", "KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
        "CHECKPOINT_ROOT", "/data/checkpoints", "TRIGGER_INTERVAL", "10 seconds", "WATERMARK_DELAY", "4 minutes",
        "METRICS_PORT", "0", "INGEST_MODE", "micro-batch", "FAULT_HALT_AFTER_BATCH", "lake:3"));
    assertThat(built).isEqualTo(parsed);
    assertThat(built.postgres().password()).isEqualTo("s3cret");
    assertThat(built.toString()).doesNotContain("s3cret");
    assertThat(built.postgres().toString()).doesNotContain("s3cret");
    Settings.Builder base = Settings.builder().database("jdbc:postgresql://db/x", "u", "p").maxOffsetsPerTrigger(500);
    assertThat(base.copy().unlimitedOffsetsPerTrigger().build().kafka().maxOffsetsPerTrigger()).isEmpty();
    assertThat(base.build().kafka().maxOffsetsPerTrigger()).as("a copy leaves the original alone").contains(500L);
    assertThatThrownBy(() -> base.copy().watermarkDelay(Duration.ofSeconds(60)).maxEventTimeSkew(Duration.ofSeconds(31))
        .build()).isInstanceOf(StartupFailure.class).hasMessageStartingWith("MAX_EVENT_TIME_SKEW (31 s) must be at most half");
    assertThatThrownBy(() -> Settings.builder().build()).isInstanceOf(StartupFailure.class)
        .hasMessageStartingWith("DB_USER is required");
  }

  @Test
  void flagsWinOverTheEnvironment() {
    Settings s = Settings.parse(new String[] {"--trigger-interval", "available-now", "--input-topic=other"},
        env("TRIGGER_INTERVAL", "5 seconds", "INPUT_TOPIC", "from_env", "MAX_OFFSETS_PER_TRIGGER", "5000",
            "CHECKPOINT_ROOT", "/data/checkpoints/"));
    assertThat(s.triggers().interval().availableNow()).isTrue();
    assertThat(s.kafka().inputTopic()).isEqualTo("other");
    assertThat(s.kafka().maxOffsetsPerTrigger()).isEqualTo(Optional.of(5000L));
    assertThat(s.checkpointFor(dev.clickstream.contract.Query.INGEST)).isEqualTo("/data/checkpoints/ingest");
  }

  @Test
  void missingJdbcUrlIsOneLineWithAnExample() {
    assertThatThrownBy(() -> Settings.parse(new String[0], Map.of("DB_USER", "u", "DB_PASSWORD", "p")))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("JDBC_URL is required (e.g. jdbc:postgresql://host:5432/db)");
  }

  @Test
  void badValuesNameTheSetting() {
    assertThatThrownBy(() -> Settings.parse(new String[0], env("WATERMARK_DELAY", "2 minuts")))
        .hasMessageStartingWith("WATERMARK_DELAY: '2 minuts' is not a duration");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("TRIGGER_INTERVAL", "soon")))
        .hasMessageStartingWith("TRIGGER_INTERVAL: 'soon' is neither available-now nor a duration");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("MAX_OFFSETS_PER_TRIGGER", "-5")))
        .hasMessage("MAX_OFFSETS_PER_TRIGGER: must be > 0 (got -5)");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("SESSION_TIMEOUT", "0s")))
        .hasMessage("SESSION_TIMEOUT must be > 0");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("JDBC_URL", "mysql://x")))
        .hasMessageStartingWith("JDBC_URL must start with jdbc:postgresql://");
    assertThatThrownBy(() -> Settings.parse(new String[] {"--no-such-flag"}, DB))
        .isInstanceOf(StartupFailure.class).hasMessageContaining("--no-such-flag");
    assertThatThrownBy(() -> Settings.parse(new String[0], Map.of("JDBC_URL", "jdbc:postgresql://x/db", "DB_USER", "u")))
        .hasMessageStartingWith("DB_PASSWORD is required");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("LAKE_VACUUM_RETENTION", "30 minutes")))
        .hasMessage("LAKE_VACUUM_RETENTION must be at least 1 hour (got 30 minutes)");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("LAKE_TRIGGER_INTERVAL", "available-now")))
        .hasMessage("LAKE_TRIGGER_INTERVAL: 'available-now' is not a duration > 0 (e.g. 1 minute)");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("LAKE_TRIGGER_INTERVAL", "0s")))
        .hasMessage("LAKE_TRIGGER_INTERVAL: '0s' is not a duration > 0 (e.g. 1 minute)");
    assertThat(Settings.parse(new String[0], env("TRIGGER_INTERVAL", "available-now")).lakeQueryTrigger().availableNow())
        .as("available-now applies to the lake query too").isTrue();
    assertThatThrownBy(() -> Settings.parse(new String[0], env("METRICS_PORT", "70000")))
        .hasMessage("METRICS_PORT: must be a port from 1 to 65535, or 0 for off (got 70000)");
    assertThatThrownBy(() -> Settings.parse(new String[] {"--metrics-port", "http"}, DB))
        .hasMessage("METRICS_PORT: 'http' is not a whole number");
    assertThat(Settings.parse(new String[0], env("METRICS_PORT", "0")).describe()).containsEntry("METRICS_PORT", "off");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("MAX_EVENT_TIME_SKEW", "0s")))
        .hasMessage("MAX_EVENT_TIME_SKEW must be > 0");
    // one fast clock must not move a watermark past on-time events: the skew is at most half the watermark delay
    assertThatThrownBy(() -> Settings.parse(new String[0], env("MAX_EVENT_TIME_SKEW", "61 seconds")))
        .hasMessageStartingWith("MAX_EVENT_TIME_SKEW (61 s) must be at most half of WATERMARK_DELAY (120 s)");
    Map<String, String> longer = new java.util.HashMap<>(env("MAX_EVENT_TIME_SKEW", "5 minutes"));
    longer.put("WATERMARK_DELAY", "10 minutes");
    assertThat(Settings.parse(new String[0], longer).triggers().maxEventTimeSkew()).isEqualTo(Duration.ofMinutes(5));
    assertThat(Settings.parse(new String[] {"--lake-vacuum-retention", "2d"}, DB).lake().vacuumRetention()).isEqualTo(Duration.ofDays(2));
    assertThatThrownBy(() -> Settings.parse(new String[0], env("LAKE_VACUUM_RETENTION", "0d")))
        .hasMessage("LAKE_VACUUM_RETENTION must be at least 1 hour (got 0 minutes)");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("METRICS_LAG_INTERVAL", "0s")))
        .hasMessage("METRICS_LAG_INTERVAL must be > 0");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("STOP_TIMEOUT", "0s")))
        .hasMessage("STOP_TIMEOUT must be > 0");
  }

  /** An output topic equal to the input would feed the pipeline its own records. */
  @Test
  void anOutputTopicEqualToTheInputIsOneLine() {
    for (String output : java.util.List.of("ENRICHED_TOPIC", "DLQ_TOPIC")) {
      assertThatThrownBy(() -> Settings.parse(new String[0], env(output, "user_activity")))
          .isInstanceOf(StartupFailure.class)
          .hasMessageContaining("must be three different topics: an output equal to the input would be read back as input")
          .hasMessageNotContaining("\n");
    }
    assertThatThrownBy(() -> Settings.parse(new String[] {"--input-topic", "user_activity_dlq"}, DB))
        .hasMessageStartingWith("INPUT_TOPIC (user_activity_dlq), ENRICHED_TOPIC (enriched_activity) and DLQ_TOPIC "
            + "(user_activity_dlq) must be three different topics");
  }

  private static final String JAAS =
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"pipeline\" password=\"k4fka-s3cret\";";
  private static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

  @Test
  void kafkaIsPlaintextByDefaultAndSaslSslWithTheChartsSettings() {
    Settings plain = Settings.parse(new String[0], DB);
    assertThat(plain.kafkaClient()).isEqualTo(Map.of("bootstrap.servers", "localhost:9092", "security.protocol", "PLAINTEXT"));
    assertThat(plain.sparkKafkaOptions()).isEqualTo(Map.of("kafka.bootstrap.servers", "localhost:9092",
        "kafka.security.protocol", "PLAINTEXT"));

    // what the chart's SparkApplication passes: envVars and envSecretKeyRefs
    Settings scram = Settings.parse(new String[0], env("KAFKA_BOOTSTRAP_SERVERS", "clickstream-kafka-bootstrap:9093",
        "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
        "KAFKA_SASL_JAAS_CONFIG", JAAS, "KAFKA_SSL_TRUSTSTORE_CERTIFICATES", PEM));
    assertThat(scram.sparkKafkaOptions()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "kafka.bootstrap.servers", "clickstream-kafka-bootstrap:9093", "kafka.security.protocol", "SASL_SSL",
        "kafka.sasl.mechanism", "SCRAM-SHA-512", "kafka.sasl.jaas.config", JAAS,
        "kafka.ssl.truststore.type", "PEM", "kafka.ssl.truststore.certificates", PEM));
    assertThat(scram.kafka().security().describe()).isEqualTo("SASL_SSL, SCRAM-SHA-512");
    assertThat(scram.toString()).doesNotContain("k4fka-s3cret").contains("KAFKA_SASL_JAAS_CONFIG=****")
        .contains("KAFKA_SSL_TRUSTSTORE_CERTIFICATES=1 PEM certificate(s)");
    assertThat(scram.kafka().security().toString()).doesNotContain("k4fka-s3cret");
  }

  @Test
  void badKafkaSecuritySettingsAreNamed() {
    assertThatThrownBy(() -> Settings.parse(new String[0], env("KAFKA_SECURITY_PROTOCOL", "TLS")))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("KAFKA_SECURITY_PROTOCOL: 'TLS' is not one of [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")))
        .hasMessageStartingWith("KAFKA_SASL_JAAS_CONFIG is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("KAFKA_SASL_JAAS_CONFIG", JAAS)))
        .hasMessageStartingWith("KAFKA_SASL_JAAS_CONFIG is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT would not send it")
        .hasMessageNotContaining("k4fka-s3cret");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
        "KAFKA_SASL_JAAS_CONFIG", JAAS, "KAFKA_SSL_TRUSTSTORE_CERTIFICATES", PEM)))
        .hasMessageStartingWith("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is set but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("KAFKA_SECURITY_PROTOCOL", "SSL",
        "KAFKA_SSL_TRUSTSTORE_CERTIFICATES", "/etc/ca.crt")))
        .hasMessage("KAFKA_SSL_TRUSTSTORE_CERTIFICATES is not PEM (no -----BEGIN CERTIFICATE----- line)");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
        "KAFKA_SASL_MECHANISM", "GSSAPI", "KAFKA_SASL_JAAS_CONFIG", JAAS)))
        .hasMessage("KAFKA_SASL_MECHANISM: 'GSSAPI' is not one of [SCRAM-SHA-512, SCRAM-SHA-256, PLAIN]");
    assertThatThrownBy(() -> Settings.parse(new String[] {"--kafka-sasl-jaas-config", JAAS}, DB))
        .as("a secret is never a flag").hasMessageContaining("--kafka-sasl-jaas-config");
  }

  @Test
  void thePasswordsAreNeverPrintedNorFlags() {
    Map<String, String> roles = new java.util.HashMap<>(DB);
    roles.put("DB_MIGRATION_USER", "clickstream_owner");
    roles.put("DB_MIGRATION_PASSWORD", "owner-s3cret");
    roles.put("JDBC_URL", "jdbc:postgresql://db:5432/clickstream?sslmode=require&password=url-s3cret");
    Settings s = Settings.parse(new String[0], roles);
    assertThat(s.postgres().migrationUser()).isEqualTo("clickstream_owner");
    assertThat(s.postgres().migrationPassword()).isEqualTo("owner-s3cret");
    assertThat(s.toString()).doesNotContain("s3cret").contains("DB_PASSWORD=****", "DB_MIGRATION_PASSWORD=****",
        "JDBC_URL=jdbc:postgresql://db:5432/clickstream?sslmode=require&password=****");
    assertThatThrownBy(() -> Settings.parse(new String[] {"--db-password", "s3cret"}, DB))
        .as("a secret is never a flag: ps would show it").hasMessageContaining("--db-password");
    assertThatThrownBy(() -> Settings.parse(new String[] {"--db-migration-password", "s3cret"}, DB))
        .hasMessageContaining("--db-migration-password");
    roles.remove("DB_MIGRATION_PASSWORD");
    assertThatThrownBy(() -> Settings.parse(new String[0], roles))
        .hasMessage("DB_MIGRATION_PASSWORD is required with DB_MIGRATION_USER (from the environment only)");
    assertThatThrownBy(() -> Settings.parse(new String[0], env("METRICS_LAG_INTERVAL", "0s")))
        .hasMessage("METRICS_LAG_INTERVAL must be > 0");
  }

  @Test
  void jdbcUrlsAreMaskedWhereverPrinted() {
    assertThat(dev.clickstream.app.config.JdbcUrls.masked(
        "jdbc:postgresql://h/db?user=u&password=p%40ss&sslpassword=k;x=1 and //u:secret@host/db PASSWORD=Z"))
        .isEqualTo("jdbc:postgresql://h/db?user=u&password=****&sslpassword=****;x=1 and //****@host/db PASSWORD=****");
    assertThat(dev.clickstream.app.config.JdbcUrls.masked(null)).isNull();
  }

  /** README's settings table lists exactly the settings the code reads, so that neither drifts from the other. */
  @Test
  void theReadmeListsExactlyTheSettingsTheCodeReads() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("..", "README.md"));
    int start = readme.indexOf("Settings (flag `--name` or environment variable `NAME`");
    String table = readme.substring(start, readme.indexOf("Exit status:", start));
    java.util.SortedSet<String> listed = new java.util.TreeSet<>();
    for (String line : table.lines().filter(l -> l.startsWith("| `")).toList()) {
      var names = java.util.regex.Pattern.compile("`([A-Z][A-Z0-9_]+)`").matcher(line.split("\\|")[1]);
      while (names.find()) {
        listed.add(names.group(1));
      }
    }
    assertThat(listed).isEqualTo(Settings.environmentNames());
  }

  /** README's default column shows each setting's default as the code has it (the options' defaultValue). */
  @Test
  void theReadmeShowsTheDefaultsTheCodeHas() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("..", "README.md"));
    int start = readme.indexOf("Settings (flag `--name` or environment variable `NAME`");
    java.util.List<String> rows = readme.substring(start, readme.indexOf("Exit status:", start)).lines()
        .filter(l -> l.startsWith("| `")).toList();
    assertThat(Settings.defaults()).containsKeys("TRIGGER_INTERVAL", "WATERMARK_DELAY", "REAL_TIME_BATCH_DURATION");
    Settings.defaults().forEach((name, value) -> {
      String row = rows.stream().filter(r -> r.split("\\|")[1].contains("`" + name + "`")).findFirst()
          .orElseThrow(() -> new AssertionError("no README row for " + name));
      assertThat(row.split("\\|")[2]).as("README's default of %s", name).contains("`" + value + "`");
    });
  }
}
