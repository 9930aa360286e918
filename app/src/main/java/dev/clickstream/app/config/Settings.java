package dev.clickstream.app.config;

import dev.clickstream.contract.Durations;
import dev.clickstream.contract.KafkaSecurity;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.StartupFailure;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The pipeline's settings (architecture §5), validated. Each comes from the flag {@code --name} or the environment
 * variable {@code NAME} (the flag wins): {@code --jdbc-url} / {@code JDBC_URL}, and so on; its default is the
 * {@code defaultValue} of its option in {@code Flags}, the one place defaults are written (README's table is
 * checked against them).
 *
 * @param kafkaBootstrapServers KAFKA_BOOTSTRAP_SERVERS, default {@code localhost:9092}
 * @param inputTopic INPUT_TOPIC, default {@code user_activity}
 * @param enrichedTopic ENRICHED_TOPIC, default {@code enriched_activity}
 * @param dlqTopic DLQ_TOPIC, default {@code user_activity_dlq}
 * @param jdbcUrl JDBC_URL, required, {@code jdbc:postgresql://...}
 * @param dbUser DB_USER, required: the role the sinks write as (on Kubernetes and under {@code make run} the writer
 *     role, with only SELECT, INSERT, UPDATE and DELETE on the result tables)
 * @param dbPassword DB_PASSWORD, required (may be empty); from the environment only (architecture §5: a flag would show
 *     in {@code ps}), never logged
 * @param dbMigrationUser DB_MIGRATION_USER, default DB_USER: the role that runs the Flyway migrations at start-up
 *     and so owns the tables; when it differs from DB_USER, it grants DB_USER the writer's rights on them
 * @param dbMigrationPassword DB_MIGRATION_PASSWORD, environment only, required when DB_MIGRATION_USER is set
 *     (default DB_PASSWORD otherwise); never logged
 * @param dbMigrationsApplied DB_MIGRATIONS, default {@code apply}: the pipeline applies the Flyway migrations at
 *     start-up as DB_MIGRATION_USER; {@code verify}: someone else does (the chart's migrations Job, with the
 *     owner's password the driver then never holds), and the pipeline only waits until every result table exists
 *     and DB_USER may write it
 * @param lakePath LAKE_PATH, default {@code ./data/lake}
 * @param checkpointRoot CHECKPOINT_ROOT, default {@code ./data/checkpoints}; one directory per query below it
 * @param trigger TRIGGER_INTERVAL, default {@code 5 seconds}, or {@code available-now}: the micro-batch trigger of
 *     ingest, analytics and user-sessions; available-now applies to every query (the lake's too)
 * @param watermarkDelay WATERMARK_DELAY, default 2 minutes: allowed lateness of event time
 * @param sessionTimeout SESSION_TIMEOUT, default 15 minutes of event time without events
 * @param startingOffsets STARTING_OFFSETS, default {@code earliest}; used only by a fresh checkpoint
 * @param maxOffsetsPerTrigger MAX_OFFSETS_PER_TRIGGER, records per micro-batch, empty = unlimited
 * @param sparkMaster SPARK_MASTER, default {@code local[*]}; used only when spark-submit set no master
 * @param lakeTrigger LAKE_TRIGGER_INTERVAL, default {@code 1 minute}: the micro-batch trigger of the lake query,
 *     each micro-batch one Delta commit (whose fixed cost, ~1 s here, is then paid once a minute); under
 *     {@code TRIGGER_INTERVAL=available-now} the lake query runs available-now too
 * @param lakeVacuumRetention LAKE_VACUUM_RETENTION, default 7 days: files no longer in the lake table (compacted,
 *     or written by a killed attempt) are deleted after this long, and the table's log keeps this much history
 * @param lakeMaintenanceInterval LAKE_MAINTENANCE_INTERVAL, default 1 hour: how often the driver vacuums the lake;
 *     0 turns it off
 * @param metricsPort METRICS_PORT, default 9464 (the Prometheus exporters' registered default port): the driver
 *     serves {@code /metrics} there; 0 turns it off
 * @param metricsBindAddress METRICS_BIND_ADDRESS, default {@code 127.0.0.1}: the interface the metrics endpoint
 *     listens on; {@code 0.0.0.0} for every interface (the chart's value: Prometheus scrapes the pod's IP)
 * @param metricsLagInterval METRICS_LAG_INTERVAL, default 15 seconds: how long the latest offsets asked from the
 *     brokers for {@code clickstream_kafka_offsets_behind_latest} are reused, so that scrapes do not each call the
 *     brokers; &gt; 0
 * @param maxEventTimeSkew MAX_EVENT_TIME_SKEW, default 1 minute, at most half of WATERMARK_DELAY (architecture §3): an
 *     event_time further ahead of the processing time is malformed ({@code event_time_in_future}). The largest
 *     event time a query sees is then at most now + skew, so its watermark (that minus WATERMARK_DELAY) stays at
 *     least WATERMARK_DELAY / 2 behind the clock, and no on-time event is dropped because of a fast clock
 * @param dbRetryTimeout DB_RETRY_TIMEOUT, default 5 minutes: how long a Postgres upsert retries transient errors
 *     (connection refused or lost, server shutting down or starting) before its micro-batch, and so the query,
 *     fails; 0 = no retry
 * @param stopTimeout STOP_TIMEOUT, default 60 seconds: how long a query may take to stop (Spark's
 *     {@code spark.sql.streaming.stopTimeout}); a query still running after it makes the process exit 1 naming it
 * @param kafkaSecurity KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG (environment only,
 *     never logged) and KAFKA_SSL_TRUSTSTORE_CERTIFICATES: how every Kafka client of the pipeline authenticates
 *     (see {@link KafkaSecurity}); default PLAINTEXT
 * @param faultHaltAfterBatch FAULT_HALT_AFTER_BATCH, for crash tests only, unset by default:
 *     {@code <query>:<batchId>} halts the JVM (exit 137, no shutdown hooks: a lost pod) right after that query's
 *     sink has written that micro-batch and before Spark commits it, so that the next start must replay it
 * @param ingestMode INGEST_MODE, {@code micro-batch} or {@code real-time}; unset (the default) chooses real-time
 *     when Spark has a task slot for every input partition plus two, else micro-batch ({@link IngestMode#choose})
 * @param realTimeBatchDuration REAL_TIME_BATCH_DURATION, default 5 seconds, at least 5 seconds (Spark 4.1's
 *     minimum): how long a batch of the real-time ingest query lasts, which is how often it writes its checkpoint
 *     and reports progress, and at most how much output a restart after a crash repeats
 */
public record Settings(String kafkaBootstrapServers, String inputTopic, String enrichedTopic, String dlqTopic,
    String jdbcUrl, String dbUser, String dbPassword, String dbMigrationUser, String dbMigrationPassword,
    String lakePath, String checkpointRoot, TriggerSpec trigger,
    Duration watermarkDelay, Duration sessionTimeout, String startingOffsets, Optional<Long> maxOffsetsPerTrigger,
    String sparkMaster, TriggerSpec lakeTrigger, Duration lakeVacuumRetention, Duration lakeMaintenanceInterval,
    int metricsPort, String metricsBindAddress, Duration metricsLagInterval, Duration maxEventTimeSkew,
    Duration dbRetryTimeout, Duration stopTimeout,
    KafkaSecurity kafkaSecurity, Optional<FaultPoint> faultHaltAfterBatch, Optional<IngestMode> ingestMode,
    Duration realTimeBatchDuration, boolean dbMigrationsApplied) {
  /** Spark 4.1's smallest real-time batch duration (its real-time trigger refuses less). */
  public static final Duration MIN_REAL_TIME_BATCH_DURATION = Duration.ofSeconds(5);


  /**
   * A micro-batch of a query: where FAULT_HALT_AFTER_BATCH halts the JVM.
   *
   * @param query a query with a foreachBatch sink ({@link Query#foreachBatchSink()})
   * @param batchId the micro-batch id, &ge; 0
   */
  public record FaultPoint(Query query, long batchId) {
    /**
     * @param text {@code <query>:<batchId>}, e.g. {@code analytics:5}
     * @return the point
     * @throws IllegalArgumentException for another shape, an unknown query, a query whose sink is not a foreachBatch
     *     function (nothing of ours runs after its write), or a negative batch id
     */
    static FaultPoint parse(String text) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("'" + text + "' is not <query>:<batchId>, e.g. analytics:5");
      }
      long batch;
      try {
        batch = Long.parseLong(text.substring(colon + 1).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is not <query>:<batchId>, e.g. analytics:5");
      }
      if (batch < 0) {
        throw new IllegalArgumentException("the batch id must be >= 0 (got " + batch + ")");
      }
      Query query = Query.named(text.substring(0, colon).trim());
      if (!query.foreachBatchSink()) {
        throw new IllegalArgumentException(query + " has no foreachBatch sink to halt after; choose one of "
            + Arrays.stream(Query.values()).filter(Query::foreachBatchSink).toList());
      }
      return new FaultPoint(query, batch);
    }

    @Override
    public String toString() {
      return query + ":" + batchId;
    }
  }

  /**
   * Reads settings from flags, then the environment, then defaults.
   *
   * @param args flags such as {@code --jdbc-url=...} or {@code --jdbc-url ...}
   * @param env environment variables (usually {@code System.getenv()})
   * @return validated settings
   * @throws StartupFailure naming the first unknown flag, missing or unparsable setting
   */
  public static Settings parse(String[] args, Map<String, String> env) {
    Flags flags = new Flags();
    CommandLine cl = new CommandLine(flags);
    // flag, else environment variable, else the option's defaultValue (the defaults live there, and only there)
    cl.setDefaultValueProvider(arg -> arg instanceof OptionSpec o && env.get(envName(o)) != null
        && !env.get(envName(o)).isBlank() ? env.get(envName(o)) : null);
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw StartupFailure.badSetting(e.getMessage().lines().findFirst().orElse("bad flags"));
    }
    for (OptionSpec o : cl.getCommandSpec().options()) { // trimmed; a blank flag (--trigger-interval=) is the default
      if (o.getValue() instanceof String v) {
        o.setValue(v.isBlank() && o.defaultValue() != null ? o.defaultValue() : v.trim());
      }
    }
    String dbUser = required(flags.dbUser, "DB_USER", "the Postgres role the sinks write as");
    // secrets: from the environment only (architecture §5), never a flag that ps or kubectl describe would show
    String dbPassword = env.get("DB_PASSWORD");
    if (dbPassword == null) {
      throw StartupFailure.badSetting("DB_PASSWORD is required (the Postgres password of DB_USER, from the environment only)");
    }
    Duration watermarkDelay = value("WATERMARK_DELAY", flags.watermarkDelay, Durations::parse);
    boolean ownMigrationRole = flags.dbMigrationUser != null && !flags.dbMigrationUser.isBlank();
    String dbMigrationPassword = ownMigrationRole ? env.get("DB_MIGRATION_PASSWORD") : dbPassword;
    if (dbMigrationPassword == null) {
      throw StartupFailure.badSetting("DB_MIGRATION_PASSWORD is required with DB_MIGRATION_USER (from the environment only)");
    }
    distinctTopics(flags.inputTopic, flags.enrichedTopic, flags.dlqTopic);
    return new Settings(
        flags.kafkaBootstrapServers,
        flags.inputTopic,
        flags.enrichedTopic,
        flags.dlqTopic,
        jdbcUrl(flags.jdbcUrl),
        dbUser,
        dbPassword,
        ownMigrationRole ? flags.dbMigrationUser.trim() : dbUser,
        dbMigrationPassword,
        flags.lakePath,
        flags.checkpointRoot,
        value("TRIGGER_INTERVAL", flags.triggerInterval, TriggerSpec::parse),
        watermarkDelay,
        positive("SESSION_TIMEOUT", value("SESSION_TIMEOUT", flags.sessionTimeout, Durations::parse)),
        startingOffsets(flags.startingOffsets),
        flags.maxOffsetsPerTrigger == null || flags.maxOffsetsPerTrigger.isBlank() ? Optional.empty()
            : Optional.of(value("MAX_OFFSETS_PER_TRIGGER", flags.maxOffsetsPerTrigger, Settings::positiveLong)),
        flags.sparkMaster,
        value("LAKE_TRIGGER_INTERVAL", flags.lakeTriggerInterval, Settings::interval),
        vacuumRetention(value("LAKE_VACUUM_RETENTION", flags.lakeVacuumRetention, Durations::parse)),
        value("LAKE_MAINTENANCE_INTERVAL", flags.lakeMaintenanceInterval, Durations::parse),
        value("METRICS_PORT", flags.metricsPort, Settings::port),
        flags.metricsBindAddress,
        positive("METRICS_LAG_INTERVAL",
            value("METRICS_LAG_INTERVAL", flags.metricsLagInterval, Durations::parse)),
        eventTimeSkew(positive("MAX_EVENT_TIME_SKEW",
            value("MAX_EVENT_TIME_SKEW", flags.maxEventTimeSkew, Durations::parse)),
            watermarkDelay),
        value("DB_RETRY_TIMEOUT", flags.dbRetryTimeout, Durations::parse), // DatabaseConfig.DEFAULT_RETRY_TIMEOUT
        positive("STOP_TIMEOUT", value("STOP_TIMEOUT", flags.stopTimeout, Durations::parse)),
        KafkaSecurity.of(flags.kafkaSecurityProtocol, flags.kafkaSaslMechanism, env.get("KAFKA_SASL_JAAS_CONFIG"),
            flags.kafkaSslTruststoreCertificates),
        flags.faultHaltAfterBatch == null || flags.faultHaltAfterBatch.isBlank() ? Optional.empty()
            : Optional.of(value("FAULT_HALT_AFTER_BATCH", flags.faultHaltAfterBatch.trim(), FaultPoint::parse)),
        flags.ingestMode == null || flags.ingestMode.isBlank() ? Optional.empty()
            : Optional.of(value("INGEST_MODE", flags.ingestMode, IngestMode::parse)),
        realTimeBatchDuration(value("REAL_TIME_BATCH_DURATION", flags.realTimeBatchDuration,
            Durations::parse)),
        value("DB_MIGRATIONS", flags.dbMigrations, Settings::migrationsApplied));
  }

  /** A processing-time trigger, &gt; 0 (available-now is chosen by TRIGGER_INTERVAL for every query at once). */
  private static TriggerSpec interval(String text) {
    TriggerSpec t = TriggerSpec.parse(text);
    if (t.availableNow() || t.interval().isZero()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration > 0 (e.g. 1 minute)");
    }
    return t;
  }

  /**
   * @return the lake query's trigger: available-now when TRIGGER_INTERVAL is, else LAKE_TRIGGER_INTERVAL
   */
  public TriggerSpec lakeQueryTrigger() {
    return trigger.availableNow() ? trigger : lakeTrigger;
  }

  /** A skew over half the watermark delay would let one fast clock move a watermark past on-time events. */
  private static Duration eventTimeSkew(Duration skew, Duration watermarkDelay) {
    if (skew.compareTo(watermarkDelay.dividedBy(2)) > 0) {
      throw StartupFailure.badSetting("MAX_EVENT_TIME_SKEW (" + skew.toSeconds() + " s) must be at most half of "
          + "WATERMARK_DELAY (" + watermarkDelay.toSeconds() + " s): an event that far ahead would move the "
          + "watermarks past events that are on time");
    }
    return skew;
  }

  private static Duration realTimeBatchDuration(Duration d) {
    if (d.compareTo(MIN_REAL_TIME_BATCH_DURATION) < 0) {
      throw StartupFailure.badSetting("REAL_TIME_BATCH_DURATION must be at least 5 seconds, Spark's minimum (got "
          + d.toMillis() + " ms)");
    }
    return d;
  }

  /** DB_MIGRATIONS: {@code apply} (true) or {@code verify} (false). */
  private static boolean migrationsApplied(String text) {
    return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "apply" -> true;
      case "verify" -> false;
      default -> throw new IllegalArgumentException("'" + text + "' is neither apply nor verify");
    };
  }

  /**
   * The input topic is the pipeline's log: an output topic equal to it would be read back as input (each enriched
   * record a new event, each dead letter a new dead letter), and enriched records among dead letters would mix two
   * contracts on one topic.
   */
  private static void distinctTopics(String input, String enriched, String deadLetter) {
    if (input.equals(enriched) || input.equals(deadLetter) || enriched.equals(deadLetter)) {
      throw StartupFailure.badSetting("INPUT_TOPIC (" + input + "), ENRICHED_TOPIC (" + enriched + ") and DLQ_TOPIC ("
          + deadLetter + ") must be three different topics: an output equal to the input would be read back as input");
    }
  }

  /** Delta refuses to VACUUM with a retention under one hour unless its safety check is switched off. */
  private static Duration vacuumRetention(Duration d) {
    if (d.compareTo(Duration.ofHours(1)) < 0) {
      throw StartupFailure.badSetting("LAKE_VACUUM_RETENTION must be at least 1 hour (got " + d.toMinutes() + " minutes)");
    }
    return d;
  }

  /**
   * @return Kafka client settings for every client of the pipeline (Spark's Kafka source and sink take them with
   *     the {@code kafka.} prefix): {@code bootstrap.servers} and {@link KafkaSecurity#clientProperties()}
   */
  public Map<String, String> kafkaClient() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("bootstrap.servers", kafkaBootstrapServers);
    props.putAll(kafkaSecurity.clientProperties());
    return props;
  }

  /**
   * @return {@link #kafkaClient()} with each key prefixed by {@code kafka.}: the options by which Spark's Kafka
   *     source and sink pass settings to their consumers and producers (Structured Streaming + Kafka guide, "Kafka
   *     Specific Configurations"). Spark redacts option values that match {@code spark.redaction.regex} (a JAAS
   *     line contains {@code password=}) in plans and logs.
   */
  public Map<String, String> sparkKafkaOptions() {
    Map<String, String> options = new LinkedHashMap<>();
    kafkaClient().forEach((k, v) -> options.put("kafka." + k, v));
    return options;
  }

  /** @return the settings as NAME=value lines for the start-up log; the passwords are masked */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrapServers);
    m.put("KAFKA_SECURITY_PROTOCOL", kafkaSecurity.protocol());
    if (kafkaSecurity.sasl()) {
      m.put("KAFKA_SASL_MECHANISM", kafkaSecurity.saslMechanism());
      m.put("KAFKA_SASL_JAAS_CONFIG", "****");
    }
    kafkaSecurity.truststoreCertificates().ifPresent(pem -> m.put("KAFKA_SSL_TRUSTSTORE_CERTIFICATES",
        pem.split("-----BEGIN CERTIFICATE-----", -1).length - 1 + " PEM certificate(s)"));
    m.put("INPUT_TOPIC", inputTopic);
    m.put("ENRICHED_TOPIC", enrichedTopic);
    m.put("DLQ_TOPIC", dlqTopic);
    m.put("JDBC_URL", JdbcUrls.masked(jdbcUrl));
    m.put("DB_USER", dbUser);
    m.put("DB_PASSWORD", "****");
    m.put("DB_MIGRATION_USER", dbMigrationUser);
    m.put("DB_MIGRATION_PASSWORD", "****");
    m.put("DB_MIGRATIONS", dbMigrationsApplied ? "apply" : "verify");
    m.put("LAKE_PATH", lakePath);
    m.put("CHECKPOINT_ROOT", checkpointRoot);
    m.put("TRIGGER_INTERVAL", trigger.toString());
    m.put("WATERMARK_DELAY", watermarkDelay.toMillis() + " ms");
    m.put("SESSION_TIMEOUT", sessionTimeout.toMillis() + " ms");
    m.put("STARTING_OFFSETS", startingOffsets);
    m.put("MAX_OFFSETS_PER_TRIGGER", maxOffsetsPerTrigger.map(String::valueOf).orElse("unset"));
    m.put("SPARK_MASTER", sparkMaster);
    m.put("LAKE_TRIGGER_INTERVAL", lakeTrigger.toString());
    m.put("LAKE_VACUUM_RETENTION", lakeVacuumRetention.toHours() + " h");
    m.put("LAKE_MAINTENANCE_INTERVAL", lakeMaintenanceInterval.toSeconds() + " s");
    m.put("METRICS_PORT", metricsPort == 0 ? "off" : String.valueOf(metricsPort));
    m.put("METRICS_BIND_ADDRESS", metricsBindAddress);
    m.put("METRICS_LAG_INTERVAL", metricsLagInterval.toSeconds() + " s");
    m.put("MAX_EVENT_TIME_SKEW", maxEventTimeSkew.toSeconds() + " s");
    m.put("DB_RETRY_TIMEOUT", dbRetryTimeout.toSeconds() + " s");
    m.put("STOP_TIMEOUT", stopTimeout.toSeconds() + " s");
    m.put("INGEST_MODE", ingestMode.map(IngestMode::toString).orElse("unset (chosen by task slots)"));
    m.put("REAL_TIME_BATCH_DURATION", realTimeBatchDuration.toMillis() + " ms");
    faultHaltAfterBatch.ifPresent(f -> m.put("FAULT_HALT_AFTER_BATCH", f.toString()));
    return m;
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "Settings" + describe();
  }

  /** @return {@code ${LAKE_PATH}/events}, the Delta table of every valid event */
  public String lakeEventsPath() {
    return lakePath.replaceAll("/+$", "") + "/events";
  }

  /**
   * @param query a query
   * @return {@code ${CHECKPOINT_ROOT}/<its checkpoint directory>}, e.g. {@code ./data/checkpoints/analytics}
   */
  public String checkpointFor(Query query) {
    return checkpointRoot.replaceAll("/+$", "") + "/" + query.checkpointDirectory();
  }

  /** The settings read from the environment only: secrets, never flags (architecture §5). */
  static final List<String> SECRETS = List.of("DB_PASSWORD", "DB_MIGRATION_PASSWORD", "KAFKA_SASL_JAAS_CONFIG");

  /**
   * @return the environment variable of every setting this class reads (each flag's, and the secrets'), sorted: the
   *     README's settings table lists exactly these (SettingsTest)
   */
  public static java.util.SortedSet<String> environmentNames() {
    java.util.SortedSet<String> names = new java.util.TreeSet<>(SECRETS);
    new CommandLine(new Flags()).getCommandSpec().options().forEach(o -> names.add(envName(o)));
    return names;
  }

  /**
   * @return the environment variable of every setting with a default, and that default as README writes it
   */
  static java.util.SortedMap<String, String> defaults() {
    java.util.SortedMap<String, String> defaults = new java.util.TreeMap<>();
    new CommandLine(new Flags()).getCommandSpec().options().stream().filter(o -> o.defaultValue() != null)
        .forEach(o -> defaults.put(envName(o), o.defaultValue()));
    return defaults;
  }

  private static String envName(OptionSpec option) {
    return option.longestName().substring(2).replace('-', '_').toUpperCase(java.util.Locale.ROOT);
  }

  private static String required(String value, String name, String what) {
    return value == null || value.isBlank() ? requiredMissing(name, what) : value.trim();
  }

  private static String requiredMissing(String name, String what) {
    throw StartupFailure.badSetting(name + " is required (" + what + "; flag --" + name.toLowerCase().replace('_', '-') + ")");
  }

  private static String jdbcUrl(String value) {
    if (value == null || value.isBlank()) {
      throw StartupFailure.badSetting("JDBC_URL is required (e.g. jdbc:postgresql://host:5432/db)");
    }
    if (!value.startsWith("jdbc:postgresql://")) {
      throw StartupFailure.badSetting("JDBC_URL must start with jdbc:postgresql:// (got " + JdbcUrls.masked(value) + ")");
    }
    return value.trim();
  }

  private static String startingOffsets(String value) {
    if (!value.equals("earliest") && !value.equals("latest") && !value.startsWith("{")) {
      throw StartupFailure.badSetting("STARTING_OFFSETS: '" + value + "' is not earliest, latest or a JSON offsets object");
    }
    return value;
  }

  private static <T> T value(String name, String text, Function<String, T> parser) {
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw StartupFailure.badSetting(name + ": " + e.getMessage());
    }
  }

  private static Duration positive(String name, Duration d) {
    if (d.isZero()) {
      throw StartupFailure.badSetting(name + " must be > 0");
    }
    return d;
  }

  private static long wholeNumber(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a whole number");
    }
  }

  private static Long positiveLong(String text) {
    long n = wholeNumber(text);
    if (n <= 0) {
      throw new IllegalArgumentException("must be > 0 (got " + n + ")");
    }
    return n;
  }

  private static Integer port(String text) {
    long n = wholeNumber(text);
    if (n < 0 || n > 65535) {
      throw new IllegalArgumentException("must be a port from 1 to 65535, or 0 for off (got " + n + ")");
    }
    return (int) n;
  }

  @Command(name = "clickstream-pipeline")
  static final class Flags {
    @Option(names = "--kafka-bootstrap-servers", defaultValue = "localhost:9092") String kafkaBootstrapServers;
    @Option(names = "--kafka-security-protocol", defaultValue = "PLAINTEXT") String kafkaSecurityProtocol;
    @Option(names = "--kafka-sasl-mechanism", defaultValue = "SCRAM-SHA-512") String kafkaSaslMechanism;
    @Option(names = "--kafka-ssl-truststore-certificates") String kafkaSslTruststoreCertificates;
    @Option(names = "--input-topic", defaultValue = "user_activity") String inputTopic;
    @Option(names = "--enriched-topic", defaultValue = "enriched_activity") String enrichedTopic;
    @Option(names = "--dlq-topic", defaultValue = "user_activity_dlq") String dlqTopic;
    @Option(names = "--jdbc-url") String jdbcUrl;
    @Option(names = "--db-user") String dbUser;
    @Option(names = "--db-migration-user") String dbMigrationUser;
    @Option(names = "--lake-path", defaultValue = "./data/lake") String lakePath;
    @Option(names = "--checkpoint-root", defaultValue = "./data/checkpoints") String checkpointRoot;
    @Option(names = "--trigger-interval", defaultValue = "5 seconds") String triggerInterval;
    @Option(names = "--watermark-delay", defaultValue = "2 minutes") String watermarkDelay;
    @Option(names = "--session-timeout", defaultValue = "15 minutes") String sessionTimeout;
    @Option(names = "--starting-offsets", defaultValue = "earliest") String startingOffsets;
    @Option(names = "--max-offsets-per-trigger") String maxOffsetsPerTrigger;
    @Option(names = "--spark-master", defaultValue = "local[*]") String sparkMaster;
    @Option(names = "--lake-trigger-interval", defaultValue = "1 minute") String lakeTriggerInterval;
    @Option(names = "--lake-vacuum-retention", defaultValue = "7 days") String lakeVacuumRetention;
    @Option(names = "--lake-maintenance-interval", defaultValue = "1 hour") String lakeMaintenanceInterval;
    @Option(names = "--metrics-port", defaultValue = "9464") String metricsPort;
    @Option(names = "--metrics-bind-address", defaultValue = "127.0.0.1") String metricsBindAddress;
    @Option(names = "--metrics-lag-interval", defaultValue = "15 seconds") String metricsLagInterval;
    @Option(names = "--max-event-time-skew", defaultValue = "1 minute") String maxEventTimeSkew;
    @Option(names = "--db-retry-timeout", defaultValue = "5 minutes") String dbRetryTimeout;
    @Option(names = "--stop-timeout", defaultValue = "60 seconds") String stopTimeout;
    @Option(names = "--fault-halt-after-batch") String faultHaltAfterBatch;
    @Option(names = "--ingest-mode") String ingestMode;
    @Option(names = "--db-migrations", defaultValue = "apply") String dbMigrations;
    @Option(names = "--real-time-batch-duration", defaultValue = "5 seconds") String realTimeBatchDuration;
  }

}
