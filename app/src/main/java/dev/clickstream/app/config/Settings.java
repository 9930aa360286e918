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
 * <p>Grouped as the pipeline uses them: {@link Kafka}, {@link Postgres}, {@link Lake}, {@link Triggers},
 * {@link Metrics}; tests, {@code make run} and the benchmarks build them with {@link #builder()}.
 *
 * @param kafka the brokers, topics and offsets
 * @param postgres the database and its roles
 * @param lake the Delta table and its upkeep
 * @param triggers when micro-batches run, and the event-time settings
 * @param metrics the Prometheus endpoint
 * @param checkpointRoot CHECKPOINT_ROOT, default {@code ./data/checkpoints}; one directory per query below it
 * @param sparkMaster SPARK_MASTER, default {@code local[*]}; used only when spark-submit set no master
 * @param faultHaltAfterBatch FAULT_HALT_AFTER_BATCH, for crash tests only, unset by default:
 *     {@code <query>:<batchId>} halts the JVM (exit 137, no shutdown hooks: a lost pod) right after that query's
 *     sink has written that micro-batch and before Spark commits it, so that the next start must replay it
 */
public record Settings(Kafka kafka, Postgres postgres, Lake lake, Triggers triggers, Metrics metrics,
    String checkpointRoot, String sparkMaster, Optional<FaultPoint> faultHaltAfterBatch) {

  /**
   * The Kafka settings.
   *
   * @param bootstrapServers KAFKA_BOOTSTRAP_SERVERS, default {@code localhost:9092}
   * @param security KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG (environment only, never
   *     logged) and KAFKA_SSL_TRUSTSTORE_CERTIFICATES: how every Kafka client of the pipeline authenticates (see
   *     {@link KafkaSecurity}); default PLAINTEXT
   * @param inputTopic INPUT_TOPIC, default {@code user_activity}
   * @param enrichedTopic ENRICHED_TOPIC, default {@code enriched_activity}
   * @param dlqTopic DLQ_TOPIC, default {@code user_activity_dlq}
   * @param startingOffsets STARTING_OFFSETS, default {@code earliest}; used only by a fresh checkpoint
   * @param maxOffsetsPerTrigger MAX_OFFSETS_PER_TRIGGER, records per micro-batch, empty = unlimited
   */
  public record Kafka(String bootstrapServers, KafkaSecurity security, String inputTopic, String enrichedTopic,
      String dlqTopic, String startingOffsets, Optional<Long> maxOffsetsPerTrigger) {}

  /**
   * The Postgres settings.
   *
   * @param jdbcUrl JDBC_URL, required, {@code jdbc:postgresql://...}
   * @param user DB_USER, required: the role the sinks write as (on Kubernetes and under {@code make run} the writer
   *     role, with only SELECT, INSERT, UPDATE and DELETE on the result tables)
   * @param password DB_PASSWORD, required (may be empty); from the environment only (architecture §5: a flag would
   *     show in {@code ps}), never logged
   * @param migrationUser DB_MIGRATION_USER, default DB_USER: the role that runs the Flyway migrations at start-up
   *     and so owns the tables; when it differs from DB_USER, it grants DB_USER the writer's rights on them
   * @param migrationPassword DB_MIGRATION_PASSWORD, environment only, required when DB_MIGRATION_USER is set
   *     (default DB_PASSWORD otherwise); never logged
   * @param migrationsApplied DB_MIGRATIONS, default {@code apply}: the pipeline applies the Flyway migrations at
   *     start-up as DB_MIGRATION_USER; {@code verify}: someone else does (the chart's migrations Job, with the
   *     owner's password the driver then never holds), and the pipeline only waits until every result table exists
   *     and DB_USER may write it
   * @param retryTimeout DB_RETRY_TIMEOUT, default 5 minutes: how long a Postgres upsert retries transient errors
   *     (connection refused or lost, server shutting down or starting) before its micro-batch, and so the query,
   *     fails; 0 = no retry
   */
  public record Postgres(String jdbcUrl, String user, String password, String migrationUser, String migrationPassword,
      boolean migrationsApplied, Duration retryTimeout) {
    /** Never prints a password. */
    @Override
    public String toString() {
      return "Postgres[" + JdbcUrls.masked(jdbcUrl) + " as " + user + ", migrations as " + migrationUser + "]";
    }
  }

  /**
   * The lake settings.
   *
   * @param path LAKE_PATH, default {@code ./data/lake}
   * @param trigger LAKE_TRIGGER_INTERVAL, default {@code 1 minute}: the micro-batch trigger of the lake query,
   *     each micro-batch one Delta commit (whose fixed cost, ~1 s here, is then paid once a minute); under
   *     {@code TRIGGER_INTERVAL=available-now} the lake query runs available-now too ({@link #lakeQueryTrigger()})
   * @param vacuumRetention LAKE_VACUUM_RETENTION, default 7 days: files no longer in the lake table (compacted, or
   *     written by a killed attempt) are deleted after this long, and the table's log keeps this much history
   * @param maintenanceInterval LAKE_MAINTENANCE_INTERVAL, default 1 hour: how often the driver vacuums the lake; 0
   *     turns it off
   */
  public record Lake(String path, TriggerSpec trigger, Duration vacuumRetention, Duration maintenanceInterval) {
    /** @return {@code ${LAKE_PATH}/events}, the Delta table of every valid event */
    public String eventsPath() {
      return path.replaceAll("/+$", "") + "/events";
    }
  }

  /**
   * When micro-batches run, and the event-time settings.
   *
   * @param interval TRIGGER_INTERVAL, default {@code 5 seconds}, or {@code available-now}: the micro-batch trigger of
   *     ingest, analytics and user-sessions; available-now applies to every query (the lake's too)
   * @param ingestMode INGEST_MODE, {@code micro-batch} or {@code real-time}; unset (the default) chooses real-time
   *     when Spark has a task slot for every input partition plus two, else micro-batch ({@link IngestMode#choose})
   * @param realTimeBatchDuration REAL_TIME_BATCH_DURATION, default 5 seconds, at least 5 seconds (Spark's minimum):
   *     how long a batch of the real-time ingest query lasts, which is how often it writes its checkpoint and
   *     reports progress, and at most how much output a restart after a crash repeats
   * @param realTimeFetchWait REAL_TIME_FETCH_WAIT, default 0 (off), at most {@link #MAX_REAL_TIME_FETCH_WAIT}: how
   *     long a Kafka fetch of the real-time ingest query may wait for {@link #REAL_TIME_FETCH_BYTES} to arrive before
   *     it returns what there is (Kafka's {@code fetch.max.wait.ms} with {@code fetch.min.bytes}): fewer fetches under
   *     load for at most that much more latency per record. 0 keeps Kafka's fetch.min.bytes of 1 byte: every record
   *     is handed on as soon as it arrives. 50 ms gave back ~0.17 core of real-time ingest's 0.75 at 5,000 events/s
   *     for ~30 ms more at p50, and nothing at 50 events/s (bench/README.md, "Kafka fetch settings of real-time
   *     ingest")
   * @param watermarkDelay WATERMARK_DELAY, default 2 minutes: allowed lateness of event time
   * @param sessionTimeout SESSION_TIMEOUT, default 15 minutes of event time without events
   * @param maxEventTimeSkew MAX_EVENT_TIME_SKEW, default 1 minute, at most half of WATERMARK_DELAY (architecture §3):
   *     an event_time further ahead of the record's Kafka timestamp is malformed ({@code event_time_in_future}).
   *     The largest event time a query sees is then at most now + skew, so its watermark (that minus
   *     WATERMARK_DELAY) stays at least WATERMARK_DELAY / 2 behind the clock, and no on-time event is dropped
   *     because of a fast clock
   * @param stopTimeout STOP_TIMEOUT, default 60 seconds: how long a query may take to stop (Spark's
   *     {@code spark.sql.streaming.stopTimeout}); a query still running after it makes the process exit 1 naming it
   */
  public record Triggers(TriggerSpec interval, Optional<IngestMode> ingestMode, Duration realTimeBatchDuration,
      Duration realTimeFetchWait, Duration watermarkDelay, Duration sessionTimeout, Duration maxEventTimeSkew, Duration stopTimeout) {}

  /**
   * The metrics endpoint.
   *
   * @param port METRICS_PORT, default 9464 (the Prometheus exporters' registered default port): the driver serves
   *     {@code /metrics} there; 0 turns it off
   * @param bindAddress METRICS_BIND_ADDRESS, default {@code 127.0.0.1}: the interface the endpoint listens on;
   *     {@code 0.0.0.0} for every interface (the chart's value: Prometheus scrapes the pod's IP)
   * @param lagInterval METRICS_LAG_INTERVAL, default 15 seconds: how long the latest offsets asked from the brokers
   *     for {@code clickstream_kafka_offsets_behind_latest} are reused, so that scrapes do not each call the
   *     brokers; &gt; 0
   */
  public record Metrics(int port, String bindAddress, Duration lagInterval) {}

  /**
   * The longest REAL_TIME_FETCH_WAIT: Kafka's default {@code fetch.max.wait.ms} (500 ms, consumer configs), a tenth
   * of the shortest real-time batch.
   */
  public static final Duration MAX_REAL_TIME_FETCH_WAIT = Duration.ofMillis(500);

  /**
   * What a real-time fetch waits for when REAL_TIME_FETCH_WAIT is set ({@code fetch.min.bytes}): 64 KB, a few
   * hundred records of the producer's JSON, so that under load a fetch returns a batch instead of a record or two.
   */
  public static final int REAL_TIME_FETCH_BYTES = 64 * 1024;

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
    TriggerSpec trigger = value("TRIGGER_INTERVAL", flags.triggerInterval, TriggerSpec::parse);
    return new Settings(
        new Kafka(flags.kafkaBootstrapServers,
            KafkaSecurity.of(flags.kafkaSecurityProtocol, flags.kafkaSaslMechanism, env.get("KAFKA_SASL_JAAS_CONFIG"),
                flags.kafkaSslTruststoreCertificates),
            flags.inputTopic, flags.enrichedTopic, flags.dlqTopic, startingOffsets(flags.startingOffsets),
            flags.maxOffsetsPerTrigger == null || flags.maxOffsetsPerTrigger.isBlank() ? Optional.empty()
                : Optional.of(value("MAX_OFFSETS_PER_TRIGGER", flags.maxOffsetsPerTrigger, Settings::positiveLong))),
        new Postgres(jdbcUrl(flags.jdbcUrl), dbUser, dbPassword, ownMigrationRole ? flags.dbMigrationUser.trim() : dbUser,
            dbMigrationPassword, value("DB_MIGRATIONS", flags.dbMigrations, Settings::migrationsApplied),
            value("DB_RETRY_TIMEOUT", flags.dbRetryTimeout, Durations::parse)), // DatabaseConfig.DEFAULT_RETRY_TIMEOUT
        new Lake(flags.lakePath, value("LAKE_TRIGGER_INTERVAL", flags.lakeTriggerInterval, Settings::interval),
            vacuumRetention(value("LAKE_VACUUM_RETENTION", flags.lakeVacuumRetention, Durations::parse)),
            value("LAKE_MAINTENANCE_INTERVAL", flags.lakeMaintenanceInterval, Durations::parse)),
        new Triggers(trigger,
            flags.ingestMode == null || flags.ingestMode.isBlank() ? Optional.empty()
                : Optional.of(value("INGEST_MODE", flags.ingestMode, IngestMode::parse)),
            realTimeBatchDuration(value("REAL_TIME_BATCH_DURATION", flags.realTimeBatchDuration, Durations::parse)),
            realTimeFetchWait(value("REAL_TIME_FETCH_WAIT", flags.realTimeFetchWait, Durations::parse)),
            watermarkDelay,
            positive("SESSION_TIMEOUT", value("SESSION_TIMEOUT", flags.sessionTimeout, Durations::parse)),
            eventTimeSkew(positive("MAX_EVENT_TIME_SKEW",
                value("MAX_EVENT_TIME_SKEW", flags.maxEventTimeSkew, Durations::parse)), watermarkDelay),
            positive("STOP_TIMEOUT", value("STOP_TIMEOUT", flags.stopTimeout, Durations::parse))),
        new Metrics(value("METRICS_PORT", flags.metricsPort, Settings::port), flags.metricsBindAddress,
            positive("METRICS_LAG_INTERVAL", value("METRICS_LAG_INTERVAL", flags.metricsLagInterval, Durations::parse))),
        flags.checkpointRoot,
        flags.sparkMaster,
        flags.faultHaltAfterBatch == null || flags.faultHaltAfterBatch.isBlank() ? Optional.empty()
            : Optional.of(value("FAULT_HALT_AFTER_BATCH", flags.faultHaltAfterBatch.trim(), FaultPoint::parse)));
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
    return triggers.interval().availableNow() ? triggers.interval() : lake.trigger();
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

  private static Duration realTimeFetchWait(Duration d) {
    if (d.compareTo(MAX_REAL_TIME_FETCH_WAIT) > 0) {
      throw StartupFailure.badSetting("REAL_TIME_FETCH_WAIT must be at most 500 ms, Kafka's default fetch.max.wait.ms "
          + "(got " + d.toMillis() + " ms)");
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
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.putAll(kafka.security().clientProperties());
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
    m.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    KafkaSecurity security = kafka.security();
    m.put("KAFKA_SECURITY_PROTOCOL", security.protocol());
    if (security.sasl()) {
      m.put("KAFKA_SASL_MECHANISM", security.saslMechanism());
      m.put("KAFKA_SASL_JAAS_CONFIG", "****");
    }
    security.truststoreCertificates().ifPresent(pem -> m.put("KAFKA_SSL_TRUSTSTORE_CERTIFICATES",
        pem.split("-----BEGIN CERTIFICATE-----", -1).length - 1 + " PEM certificate(s)"));
    m.put("INPUT_TOPIC", kafka.inputTopic());
    m.put("ENRICHED_TOPIC", kafka.enrichedTopic());
    m.put("DLQ_TOPIC", kafka.dlqTopic());
    m.put("JDBC_URL", JdbcUrls.masked(postgres.jdbcUrl()));
    m.put("DB_USER", postgres.user());
    m.put("DB_PASSWORD", "****");
    m.put("DB_MIGRATION_USER", postgres.migrationUser());
    m.put("DB_MIGRATION_PASSWORD", "****");
    m.put("DB_MIGRATIONS", postgres.migrationsApplied() ? "apply" : "verify");
    m.put("LAKE_PATH", lake.path());
    m.put("CHECKPOINT_ROOT", checkpointRoot);
    m.put("TRIGGER_INTERVAL", triggers.interval().toString());
    m.put("WATERMARK_DELAY", triggers.watermarkDelay().toMillis() + " ms");
    m.put("SESSION_TIMEOUT", triggers.sessionTimeout().toMillis() + " ms");
    m.put("STARTING_OFFSETS", kafka.startingOffsets());
    m.put("MAX_OFFSETS_PER_TRIGGER", kafka.maxOffsetsPerTrigger().map(String::valueOf).orElse("unset"));
    m.put("SPARK_MASTER", sparkMaster);
    m.put("LAKE_TRIGGER_INTERVAL", lake.trigger().toString());
    m.put("LAKE_VACUUM_RETENTION", lake.vacuumRetention().toHours() + " h");
    m.put("LAKE_MAINTENANCE_INTERVAL", lake.maintenanceInterval().toSeconds() + " s");
    m.put("METRICS_PORT", metrics.port() == 0 ? "off" : String.valueOf(metrics.port()));
    m.put("METRICS_BIND_ADDRESS", metrics.bindAddress());
    m.put("METRICS_LAG_INTERVAL", metrics.lagInterval().toSeconds() + " s");
    m.put("MAX_EVENT_TIME_SKEW", triggers.maxEventTimeSkew().toSeconds() + " s");
    m.put("DB_RETRY_TIMEOUT", postgres.retryTimeout().toSeconds() + " s");
    m.put("STOP_TIMEOUT", triggers.stopTimeout().toSeconds() + " s");
    m.put("INGEST_MODE", triggers.ingestMode().map(IngestMode::toString).orElse("unset (chosen by task slots)"));
    m.put("REAL_TIME_BATCH_DURATION", triggers.realTimeBatchDuration().toMillis() + " ms");
    m.put("REAL_TIME_FETCH_WAIT", triggers.realTimeFetchWait().isZero() ? "off"
        : triggers.realTimeFetchWait().toMillis() + " ms");
    faultHaltAfterBatch.ifPresent(f -> m.put("FAULT_HALT_AFTER_BATCH", f.toString()));
    return m;
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "Settings" + describe();
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

  /** @return a builder starting from the defaults: set what differs, then {@link Builder#build()} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Settings set in code (tests, {@code make run}, the benchmarks), one typed setter per setting, validated by
   * {@link #build()} exactly as {@link #parse} validates flags and the environment, with the same one-line errors.
   * The secrets (DB_PASSWORD, DB_MIGRATION_PASSWORD, KAFKA_SASL_JAAS_CONFIG) are set here as the environment would
   * set them.
   */
  public static final class Builder {
    private final Map<String, String> values = new LinkedHashMap<>();

    private Builder() {}

    private Builder set(String name, Object value) {
      values.put(name, String.valueOf(value));
      return this;
    }

    /** @param v KAFKA_BOOTSTRAP_SERVERS @return this */
    public Builder kafkaBootstrapServers(String v) {
      return set("KAFKA_BOOTSTRAP_SERVERS", v);
    }

    /** @param v INPUT_TOPIC @return this */
    public Builder inputTopic(String v) {
      return set("INPUT_TOPIC", v);
    }

    /** @param v ENRICHED_TOPIC @return this */
    public Builder enrichedTopic(String v) {
      return set("ENRICHED_TOPIC", v);
    }

    /** @param v DLQ_TOPIC @return this */
    public Builder dlqTopic(String v) {
      return set("DLQ_TOPIC", v);
    }

    /** @param v STARTING_OFFSETS: {@code earliest}, {@code latest} or a JSON offsets object @return this */
    public Builder startingOffsets(String v) {
      return set("STARTING_OFFSETS", v);
    }

    /** @param v MAX_OFFSETS_PER_TRIGGER, records per micro-batch @return this */
    public Builder maxOffsetsPerTrigger(long v) {
      return set("MAX_OFFSETS_PER_TRIGGER", v);
    }

    /** MAX_OFFSETS_PER_TRIGGER unset: a micro-batch reads whatever is there. @return this */
    public Builder unlimitedOffsetsPerTrigger() {
      values.remove("MAX_OFFSETS_PER_TRIGGER");
      return this;
    }

    /**
     * @param jdbcUrl JDBC_URL
     * @param user DB_USER
     * @param password DB_PASSWORD
     * @return this
     */
    public Builder database(String jdbcUrl, String user, String password) {
      return set("JDBC_URL", jdbcUrl).set("DB_USER", user).set("DB_PASSWORD", password);
    }

    /**
     * @param user DB_MIGRATION_USER
     * @param password DB_MIGRATION_PASSWORD
     * @return this
     */
    public Builder migrationRole(String user, String password) {
      return set("DB_MIGRATION_USER", user).set("DB_MIGRATION_PASSWORD", password);
    }

    /** @param v DB_RETRY_TIMEOUT @return this */
    public Builder dbRetryTimeout(Duration v) {
      return set("DB_RETRY_TIMEOUT", v);
    }

    /** @param v LAKE_PATH @return this */
    public Builder lakePath(java.nio.file.Path v) {
      return set("LAKE_PATH", v);
    }

    /** @param v CHECKPOINT_ROOT @return this */
    public Builder checkpointRoot(java.nio.file.Path v) {
      return set("CHECKPOINT_ROOT", v);
    }

    /** @param v TRIGGER_INTERVAL, &gt; 0 @return this */
    public Builder triggerInterval(Duration v) {
      return set("TRIGGER_INTERVAL", v);
    }

    /** @param text TRIGGER_INTERVAL as its flag takes it: a duration ({@code 5 seconds}) or {@code available-now} @return this */
    public Builder triggerInterval(String text) {
      return set("TRIGGER_INTERVAL", text);
    }

    /** TRIGGER_INTERVAL=available-now: every query processes what is in the topic, then stops. @return this */
    public Builder availableNow() {
      return set("TRIGGER_INTERVAL", "available-now");
    }

    /** @param v LAKE_TRIGGER_INTERVAL @return this */
    public Builder lakeTriggerInterval(Duration v) {
      return set("LAKE_TRIGGER_INTERVAL", v);
    }

    /** @param v INGEST_MODE @return this */
    public Builder ingestMode(IngestMode v) {
      return set("INGEST_MODE", v);
    }

    /** @param v REAL_TIME_BATCH_DURATION @return this */
    public Builder realTimeBatchDuration(Duration v) {
      return set("REAL_TIME_BATCH_DURATION", v);
    }

    /** @param v REAL_TIME_FETCH_WAIT @return this */
    public Builder realTimeFetchWait(Duration v) {
      return set("REAL_TIME_FETCH_WAIT", v);
    }

    /** @param v WATERMARK_DELAY @return this */
    public Builder watermarkDelay(Duration v) {
      return set("WATERMARK_DELAY", v);
    }

    /** @param v SESSION_TIMEOUT @return this */
    public Builder sessionTimeout(Duration v) {
      return set("SESSION_TIMEOUT", v);
    }

    /** @param v MAX_EVENT_TIME_SKEW @return this */
    public Builder maxEventTimeSkew(Duration v) {
      return set("MAX_EVENT_TIME_SKEW", v);
    }

    /** @param v STOP_TIMEOUT @return this */
    public Builder stopTimeout(Duration v) {
      return set("STOP_TIMEOUT", v);
    }

    /** @param v SPARK_MASTER, e.g. {@code local[2]} @return this */
    public Builder sparkMaster(String v) {
      return set("SPARK_MASTER", v);
    }

    /** @param v METRICS_PORT; 0 for none @return this */
    public Builder metricsPort(int v) {
      return set("METRICS_PORT", v);
    }

    /** @param v METRICS_BIND_ADDRESS @return this */
    public Builder metricsBindAddress(String v) {
      return set("METRICS_BIND_ADDRESS", v);
    }

    /** @param v METRICS_LAG_INTERVAL @return this */
    public Builder metricsLagInterval(Duration v) {
      return set("METRICS_LAG_INTERVAL", v);
    }

    /**
     * @param query FAULT_HALT_AFTER_BATCH's query
     * @param batchId its micro-batch
     * @return this
     */
    public Builder faultHaltAfterBatch(Query query, long batchId) {
      return set("FAULT_HALT_AFTER_BATCH", query + ":" + batchId);
    }

    /**
     * @return the environment variables that give these settings to a pipeline in another process (a child JVM, a
     *     container), the secrets included
     */
    public Map<String, String> environment() {
      return new LinkedHashMap<>(values);
    }

    /** @return a builder with this one's values, to change without changing this one */
    public Builder copy() {
      Builder b = new Builder();
      b.values.putAll(values);
      return b;
    }

    /**
     * @return the settings
     * @throws StartupFailure naming the first missing or invalid setting, as {@link #parse} does
     */
    public Settings build() {
      return parse(new String[0], values);
    }
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
    @Option(names = "--real-time-fetch-wait", defaultValue = "0 ms") String realTimeFetchWait;
  }

}
