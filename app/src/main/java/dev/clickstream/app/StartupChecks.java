package dev.clickstream.app;

import dev.clickstream.app.config.Settings;
import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.app.sink.LakeTable;
import dev.clickstream.app.source.KafkaAccessCheck;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.StartupFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What must hold before any query starts, each a one-line {@link StartupFailure} (exit 2)
 * naming what to change: the session time zone, the checkpoints (written by this version, on this input topic, by
 * its Kafka topic id, with the analytics state of this version's layout),
 * the lake table (created when missing), and the brokers' answer to this client ({@link KafkaAccessCheck}).
 */
final class StartupChecks {
  private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);

  private StartupChecks() {}

  /**
   * Timestamps are UTC by contract (architecture §3-§4): the lake's {@code event_date} partitions are the event time's
   * date in the session time zone, so another zone (set through {@code sparkConf}, say) would file events under
   * other dates than every other reader computes.
   *
   * @param sessionTimeZone {@code spark.sql.session.timeZone}
   * @throws StartupFailure naming it when it is not UTC (UTC, Etc/UTC, GMT, Z, +00:00 are)
   */
  static void requireUtc(String sessionTimeZone) {
    boolean utc;
    try {
      utc = java.time.ZoneId.of(sessionTimeZone).normalized().equals(java.time.ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      utc = false;
    }
    if (!utc) {
      throw StartupFailure.badSetting("spark.sql.session.timeZone is " + sessionTimeZone
          + ", but event_date partitions and timestamps are UTC by contract: remove that setting or set it to UTC");
    }
  }

  /**
   * Every query reads {@code user_activity} from Kafka. A checkpoint whose source is the Delta lake was written by
   * an earlier version, in which the stateful queries read the lake; Spark cannot resume it on Kafka.
   *
   * @param checkpoint a query's checkpoint
   * @throws StartupFailure naming it and the command that removes it
   */
  static void requireKafkaCheckpoint(Path checkpoint) {
    if (Checkpoints.readsDelta(checkpoint)) {
      throw StartupFailure.badSetting("checkpoint " + checkpoint + " was written by an earlier version "
          + "that read the lake table; this version reads Kafka: delete it (rm -r " + checkpoint + ") and the query "
          + "starts again from STARTING_OFFSETS");
    }
  }

  /** The file in the analytics checkpoint that names the layout of its aggregation's state. */
  static final String STATE_LAYOUT_FILE = "state-layout";
  /**
   * The analytics aggregation's state layout: per-minute active-user sketches in a 10-minute tumbling group window,
   * grouped by the tables' own key columns ({@link dev.clickstream.app.analytics.WindowedAnalytics}). Before it:
   * {@code analytics-2}, the same grouped by two generic key columns; the first layout (five active-user facts per
   * event, a sliding group window) wrote no file.
   */
  static final String ANALYTICS_STATE_LAYOUT = "analytics-3";

  /**
   * Spark resumes a stateful query only on state of the same schema, and fails its first micro-batch otherwise (with
   * a state-schema error that does not say what to do). A checkpoint that has planned micro-batches but does not
   * name {@code layout} in {@value #STATE_LAYOUT_FILE} holds the state of an earlier version; a fresh one gets the
   * file.
   *
   * @param checkpoint the analytics query's checkpoint
   * @param layout the layout this version writes
   * @throws StartupFailure exit 2 naming the checkpoint and the command that removes it
   */
  static void requireStateLayout(Path checkpoint, String layout) {
    Path file = checkpoint.resolve(STATE_LAYOUT_FILE);
    try {
      String recorded = Files.exists(file) ? Files.readString(file).trim() : null;
      if (layout.equals(recorded)) {
        return;
      }
      if (recorded != null || Checkpoints.hasPlannedBatches(checkpoint)) {
        throw StartupFailure.badSetting("checkpoint " + checkpoint + " holds aggregation state of an earlier version ("
            + (recorded == null ? "no " + STATE_LAYOUT_FILE + " file" : recorded) + "; this version's is " + layout
            + "): delete it (rm -r " + checkpoint + ") and the query starts again from STARTING_OFFSETS; `recompute` "
            + "rebuilds closed windows from the lake");
      }
      Files.createDirectories(checkpoint);
      Files.writeString(file, layout + "\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read or write " + file, e);
    }
  }

  /** The file beside a query's checkpoint that records the Kafka topic id of the input topic it reads. */
  static final String INPUT_TOPIC_ID_FILE = "input-topic-id";

  /**
   * A topic that was deleted and re-created (a new cluster with the old checkpoints, e.g. after
   * {@code make down && make kind-up}) is another topic under the same name: Spark would resume it at the old
   * offsets, in the middle of the new records (never reading its first ones), or fail every start with
   * {@code PARTITION_OFFSET_CHANGED} when it holds fewer. Recognised by its Kafka topic id, recorded in
   * {@value #INPUT_TOPIC_ID_FILE} beside the checkpoint when the query first starts on the topic; a checkpoint of an
   * earlier version without that file is checked by its offsets (a partition now ending below what it read), then
   * gets the file. Skipped when the topic does not exist yet or the brokers do not answer.
   *
   * @param checkpoint a query's checkpoint
   * @param topic the input topic
   * @param topicId its topic id now, or null when it does not exist
   * @param kafkaLag asks the brokers for the partitions' latest offsets
   * @throws StartupFailure naming the checkpoint and the command that resets it, when the
   *     recorded id differs, or a partition of the topic now ends below the offset the checkpoint has read up to
   * @throws java.io.UncheckedIOException when the id file cannot be read or written
   */
  static void requireSameInputTopic(Path checkpoint, String topic, Uuid topicId, KafkaLag kafkaLag) {
    String reset = "the topic was deleted and re-created; to read the new topic from its start, delete that "
        + "checkpoint: rm -r " + checkpoint;
    Path idFile = checkpoint.resolve(INPUT_TOPIC_ID_FILE);
    try {
      if (Files.exists(idFile)) {
        String[] recorded = Files.readString(idFile).trim().split(" ");
        if (topicId != null && recorded.length == 2 && recorded[0].equals(topic)
            && !recorded[1].equals(topicId.toString())) {
          throw StartupFailure.badSetting("topic " + topic + " has topic id " + topicId + ", but checkpoint "
              + checkpoint + " read topic id " + recorded[1] + ": " + reset);
        }
        if (recorded.length == 2 && recorded[0].equals(topic)) {
          return;
        }
      }
      var read = Checkpoints.lastCommittedOffsets(checkpoint).map(KafkaLag::parseOffsets).orElse(Map.of());
      var latest = kafkaLag.latestOffsets(read.keySet());
      for (var e : read.entrySet()) {
        Long end = latest.get(e.getKey());
        if (end != null && end < e.getValue()) {
          throw StartupFailure.badSetting("topic " + e.getKey().topic() + " partition "
              + e.getKey().partition() + " ends at offset " + end + ", but checkpoint " + checkpoint + " has read it up to "
              + e.getValue() + ": " + reset);
        }
      }
      if (topicId != null) {
        Files.createDirectories(checkpoint);
        Files.writeString(idFile, topic + " " + topicId + "\n");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read or write " + idFile, e);
    }
  }

  /**
   * @param uiEnabled spark.ui.enabled
   * @param uiPort spark.ui.port
   * @param metricsPort METRICS_PORT (0 = off)
   * @throws StartupFailure exit 2 when the Spark UI and the metrics endpoint would listen on one port (the second
   *     to bind would fail, on every restart)
   */
  static void requireOwnMetricsPort(String uiEnabled, String uiPort, int metricsPort) {
    if (metricsPort != 0 && Boolean.parseBoolean(uiEnabled) && uiPort.trim().equals(String.valueOf(metricsPort))) {
      throw StartupFailure.badSetting("METRICS_PORT (" + metricsPort + ") must differ from spark.ui.port (" + uiPort.trim()
          + "): both listen on the driver");
    }
  }

  /**
   * Runs every check for the queries about to start.
   *
   * @param spark the session
   * @param settings the settings
   * @param queries the queries about to start
   * @param kafkaLag asks the brokers for latest offsets
   * @throws StartupFailure naming what this version cannot use
   * @return the input topic's partitions; 0 when it does not exist yet
   * @throws StartupFailure when the brokers refuse the client or do not answer
   */
  static int run(SparkSession spark, Settings settings, Collection<Query> queries, KafkaLag kafkaLag) {
    requireUtc(spark.conf().get("spark.sql.session.timeZone"));
    requireOwnMetricsPort(spark.conf().get("spark.ui.enabled", "true"), spark.conf().get("spark.ui.port", "4040"),
        settings.metrics().port());
    for (Query name : queries) {
      requireKafkaCheckpoint(Path.of(settings.checkpointFor(name)));
    }
    if (queries.contains(Query.ANALYTICS)) {
      requireStateLayout(Path.of(settings.checkpointFor(Query.ANALYTICS)), ANALYTICS_STATE_LAYOUT);
    }
    Map<String, TopicDescription> topics = KafkaAccessCheck.check(settings.kafkaClient(), settings.kafka().security().describe(),
        List.of(settings.kafka().inputTopic(), settings.kafka().enrichedTopic(), settings.kafka().dlqTopic()), KafkaAccessCheck.DEFAULT_TIMEOUT);
    LOG.info(dev.clickstream.app.source.InputTopic.arrivalClockLine(settings.kafka().inputTopic(),
        KafkaAccessCheck.timestampType(settings.kafkaClient(), settings.kafka().inputTopic(), KafkaAccessCheck.DEFAULT_TIMEOUT)));
    for (Query name : queries) {
      requireSameInputTopic(Path.of(settings.checkpointFor(name)), settings.kafka().inputTopic(),
          topics.containsKey(settings.kafka().inputTopic()) ? topics.get(settings.kafka().inputTopic()).topicId() : null, kafkaLag);
    }
    if (queries.contains(Query.LAKE)) {
      LakeTable lake = new LakeTable(settings.lake().eventsPath());
      LOG.info("lake table {}: {}", lake.path(), lake.ensure(spark, settings.lake().vacuumRetention()));
    }
    TopicDescription input = topics.get(settings.kafka().inputTopic());
    return input == null ? 0 : input.partitions().size();
  }
}
