package dev.clickstream.app;

import dev.clickstream.app.config.TriggerSpec;
import dev.clickstream.app.metrics.KafkaLag;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.contract.Query;
import dev.clickstream.contract.StartupFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the pipeline's queries, watches them and stops them. Each query runs on its own checkpoint
 * ({@code ${CHECKPOINT_ROOT}/<name>}) with its own trigger; no query waits for another. The run ends:
 * <ul>
 *   <li>when every query has ended (available-now: each has processed the topic up to the offsets that were its
 *       latest when it started; a real-time query is stopped here after the batch that reaches them): exit status
 *       0;</li>
 *   <li>when {@link #stop()} was called (SIGTERM/SIGINT): every query stopped, 0;</li>
 *   <li>when one query fails: the others are stopped, 1 with the cause on stderr;</li>
 *   <li>when a query does not stop within STOP_TIMEOUT of being asked to: 1 naming it.</li>
 * </ul>
 * One failure is survived: Spark 4.1.1's SPARK-55271 ({@link #isKafkaMetricsBug}), up to
 * {@value #METRICS_BUG_RESTARTS} restarts of that query on its checkpoint.
 */
final class QuerySupervisor {
  private static final Logger LOG = LoggerFactory.getLogger(QuerySupervisor.class);
  /** Restarts allowed per query for the Spark 4.1.1 Kafka metrics bug (see {@link #isKafkaMetricsBug}). */
  static final int METRICS_BUG_RESTARTS = 3;
  /** Spark's switch for micro-batches without data (SQLConf STREAMING_NO_DATA_MICRO_BATCHES_ENABLED). */
  static final String NO_DATA_BATCHES = "spark.sql.streaming.noDataMicroBatches.enabled";

  private final SparkSession spark;
  private final PipelineMetrics metrics;
  private final Duration stopTimeout;
  private final Supplier<Map<TopicPartition, Long>> latestInputOffsets;
  private final Map<Query, Running> running = new EnumMap<>(Query.class);
  /** Queries that did not stop within STOP_TIMEOUT (their thread may still run). */
  private final List<Query> stuck = new CopyOnWriteArrayList<>();
  private volatile boolean stopRequested;

  /** A started query and its spec. */
  private static final class Running {
    final QuerySpec spec;
    StreamingQuery query;
    int metricsBugRestarts;
    boolean done;
    /** A real-time query that ends at the latest offsets of its start: those offsets; else null. */
    Map<TopicPartition, Long> endAt;

    Running(QuerySpec spec) {
      this.spec = spec;
    }
  }

  /**
   * @param spark the session
   * @param metrics where each query's trigger interval goes
   * @param stopTimeout STOP_TIMEOUT, for the message when a query does not stop
   * @param latestInputOffsets the input topic's latest offsets (empty when the brokers do not answer): where a
   *     real-time query that {@link TriggerSpec#endsAtLatest() ends at the latest offsets} ends
   */
  QuerySupervisor(SparkSession spark, PipelineMetrics metrics, Duration stopTimeout,
      Supplier<Map<TopicPartition, Long>> latestInputOffsets) {
    this.spark = spark;
    this.latestInputOffsets = latestInputOffsets;
    this.metrics = metrics;
    this.stopTimeout = stopTimeout;
  }

  /**
   * Starts the queries in order.
   *
   * @param specs the queries
   * @throws TimeoutException when Spark cannot start one
   */
  void start(List<QuerySpec> specs) throws TimeoutException {
    for (QuerySpec spec : specs) {
      Running r = new Running(spec);
      synchronized (running) {
        if (stopRequested) {
          return;
        }
        running.put(spec.query(), r);
        start(r);
      }
    }
  }

  private void start(Running r) throws TimeoutException {
    TriggerSpec t = r.spec.trigger();
    metrics.triggerInterval(r.spec.query().queryName(), t.availableNow() ? 0 : t.interval().toMillis() / 1000.0);
    if (t.realTime() && t.endsAtLatest()) {
      r.endAt = latestInputOffsets.get();
      if (r.endAt.isEmpty()) {
        throw new IllegalStateException("query " + r.spec.query() + " should end at the input topic's latest offsets, "
            + "and the brokers did not tell them");
      }
      LOG.info("query={} ends after the batch that reaches offsets {}", r.spec.query(), r.endAt);
    }
    LOG.info("query={} starting, trigger {}", r.spec.query(), t);
    DataStreamWriter<Row> writer = r.spec.sink().writer(r.spec.rows())
        .queryName(r.spec.query().queryName())
        .option("checkpointLocation", r.spec.checkpoint());
    if (t.realTime()) {
      // real-time mode runs stateless queries in update mode only (Structured Streaming guide, "Real-time mode")
      writer = writer.outputMode("update").trigger(Trigger.RealTime(t.interval().toMillis()));
    } else {
      writer = writer.trigger(t.availableNow() ? Trigger.AvailableNow() : Trigger.ProcessingTime(t.interval().toMillis()));
    }
    try {
      r.query = r.spec.noDataMicroBatches() ? writer.start() : startWithoutNoDataBatches(writer);
    } catch (org.apache.spark.SparkRuntimeException e) {
      // Spark 4.2 checks a checkpoint when the query starts (e.g. STREAMING_CHECKPOINT_MISSING_METADATA_FILE): one
      // line naming the query and Spark's error class, not a stack trace
      throw new StartupFailure("query " + r.spec.query() + " cannot start on its checkpoint "
          + r.spec.checkpoint() + ": " + e.getMessage().lines().findFirst().orElse(""),
          StartupFailure.UNAVAILABLE, e);
    }
  }

  /**
   * Starts a query whose micro-batches run only with new data. A query reads this setting from its own copy of the
   * session, made when it starts (StreamExecution clones the session in its constructor) and not kept in the
   * checkpoint: it is set for the start only, then the session's value is put back.
   */
  private StreamingQuery startWithoutNoDataBatches(DataStreamWriter<Row> writer) throws TimeoutException {
    synchronized (spark) {
      String before = spark.conf().get(NO_DATA_BATCHES, null);
      spark.conf().set(NO_DATA_BATCHES, false);
      try {
        return writer.start();
      } finally {
        if (before == null) {
          spark.conf().unset(NO_DATA_BATCHES);
        } else {
          spark.conf().set(NO_DATA_BATCHES, before);
        }
      }
    }
  }

  /**
   * Watches the started queries until the run ends (see the class comment).
   *
   * @return exit status: 0 or 1
   */
  int awaitEnd() {
    try {
      while (true) {
        if (!stuck.isEmpty()) {
          return stuckExit();
        }
        // reset first, then look at every query: a query that ends during the scan is seen by the next one
        spark.streams().resetTerminated();
        boolean active = false;
        List<Running> all;
        synchronized (running) {
          all = List.copyOf(running.values());
        }
        for (Running r : all) {
          if (r.query.isActive() && r.endAt != null && !stopRequested && reached(r.query.lastProgress(), r.endAt)) {
            LOG.info("query={} has processed the latest offsets of its start: stopping it", r.spec.query());
            if (!stopAll(List.of(r.query)).isEmpty()) {
              stuck.add(r.spec.query());
            }
          }
          if (r.query.isActive()) {
            active = true;
          } else if (!r.done) {
            Integer failed = onTerminated(r);
            if (failed != null) {
              return failed;
            }
            active |= r.query.isActive();
          }
        }
        if (!active) {
          break;
        }
        try {
          spark.streams().awaitAnyTermination(1_000);
        } catch (StreamingQueryException e) {
          // seen from the query itself in the next scan
        }
      }
    } catch (TimeoutException | RuntimeException e) {
      LOG.error("cannot start a query", e);
      System.err.println("clickstream: cannot start a query: " + e);
      stop();
      return 1;
    }
    LOG.info(stopRequested ? "stopped on request" : "all queries done");
    return 0;
  }

  /**
   * A query has terminated: restart it after SPARK-55271, or mark it done.
   *
   * @return an exit status when the pipeline must end now, else null
   */
  private Integer onTerminated(Running r) throws TimeoutException {
    StreamingQuery q = r.query;
    if (q.exception().isDefined()) {
      boolean bug = isKafkaMetricsBug(q.exception().get());
      if (bug && !stopRequested && ++r.metricsBugRestarts <= METRICS_BUG_RESTARTS) {
        LOG.warn("query {} hit SPARK-55271 (Kafka source metrics after a replayed micro-batch): restarting it", r.spec.query());
        synchronized (running) { // stop() must see the restarted query, or not race with it at all
          if (!stopRequested) {
            start(r);
          }
        }
        return null;
      }
      if (bug && stopRequested) {
        r.done = true; // stopping anyway, and the replayed micro-batch is committed: not a failure
        return null;
      }
      String cause = rootCause(q.exception().get());
      LOG.error("query {} failed, stopping the others: {}", r.spec.query(), cause);
      System.err.println("clickstream: query " + r.spec.query() + " failed: " + cause);
      stop();
      return stuck.isEmpty() ? 1 : stuckExit();
    }
    r.done = true;
    return null;
  }

  /**
   * @param progress a query's last progress, or null
   * @param endAt partition -> offset
   * @return whether that progress's batch ended at or after {@code endAt} in every partition (a batch's progress is
   *     reported after its commit)
   */
  static boolean reached(StreamingQueryProgress progress, Map<TopicPartition, Long> endAt) {
    return progress != null && progress.sources().length > 0 && reached(progress.sources()[0].endOffset(), endAt);
  }

  /**
   * @param sourceEndOffset a Kafka source's end offset as its progress reports it, e.g.
   *     {@code {"user_activity":{"0":120,"1":98}}}, or null
   * @param endAt partition -> offset
   * @return whether it is at or after {@code endAt} in every partition (a partition it does not name is behind)
   */
  static boolean reached(String sourceEndOffset, Map<TopicPartition, Long> endAt) {
    if (sourceEndOffset == null) {
      return false;
    }
    Map<TopicPartition, Long> end = KafkaLag.parseOffsets(sourceEndOffset);
    return endAt.entrySet().stream().allMatch(e -> end.getOrDefault(e.getKey(), -1L) >= e.getValue());
  }

  /**
   * Stops every query (each finishes or abandons its current micro-batch; the checkpoint stays consistent). A
   * query whose thread does not end within STOP_TIMEOUT is given up on: it is named in {@link #stuckQueries()},
   * and {@link #awaitEnd()} returns 1 naming it.
   */
  void stop() {
    List<StreamingQuery> queries;
    List<Running> stopping;
    synchronized (running) {
      stopRequested = true;
      // running, or ended by SPARK-55271 and waiting for its restart (which the stop cancels): each is stopped
      // here, and each says so; a query that failed for real was reported as failed
      stopping = running.values().stream().filter(r -> r.query != null && !r.done && (r.query.isActive()
          || (r.query.exception().isDefined() && isKafkaMetricsBug(r.query.exception().get())))).toList();
      queries = running.values().stream().map(r -> r.query).filter(java.util.Objects::nonNull).toList();
    }
    List<String> notStopped = stopAll(queries);
    synchronized (running) {
      running.keySet().stream().filter(q -> notStopped.contains(q.queryName())).forEach(stuck::add);
    }
    for (Running r : stopping) {
      LOG.info("query={} stopped: {}", r.spec.query(), replayNote(r.spec.trigger().realTime(),
          Checkpoints.lastCommittedBatch(Path.of(r.spec.checkpoint()))));
    }
  }

  /**
   * @param realTime whether the query ran under Spark's real-time trigger
   * @param lastCommitted its checkpoint's newest committed micro-batch, if any
   * @return what a restart on the checkpoint does, e.g. {@code a restart resumes after micro-batch 41}
   */
  static String replayNote(boolean realTime, java.util.OptionalLong lastCommitted) {
    String resumes = lastCommitted.isEmpty() ? "a restart starts from STARTING_OFFSETS"
        : "a restart resumes after micro-batch " + lastCommitted.getAsLong();
    return realTime ? resumes + " and writes the records of the unfinished real-time batch again (at least once)"
        : resumes + " (an unfinished micro-batch is replayed)";
  }

  /**
   * Waits for the queries' last events: a query is inactive before it posts its termination event, and posts it
   * before awaitTermination returns.
   */
  void awaitTerminated() {
    List<Running> all;
    synchronized (running) {
      all = List.copyOf(running.values());
    }
    for (Running r : all) {
      try {
        if (r.query != null) {
          r.query.awaitTermination(10_000);
        }
      } catch (Exception e) { // the query's own failure, reported before
        LOG.debug("query {} ended with {}", r.spec.query(), e.toString());
      }
    }
  }

  /**
   * Stops queries one after the other, each within Spark's {@code spark.sql.streaming.stopTimeout} (of the
   * session that started it, read when it is stopped).
   *
   * @param queries the queries
   * @return the names of those whose thread did not end within that time (Spark threw a TimeoutException)
   */
  static List<String> stopAll(List<StreamingQuery> queries) {
    List<String> notStopped = new ArrayList<>();
    for (StreamingQuery q : queries) {
      try {
        q.stop();
      } catch (TimeoutException e) {
        LOG.error("query {} did not stop within the stop timeout: {}", q.name(), e.getMessage());
        notStopped.add(q.name());
      } catch (RuntimeException e) {
        LOG.warn("query {} did not stop cleanly: {}", q.name(), e.toString());
      }
    }
    return notStopped;
  }

  /** @return queries that did not stop within STOP_TIMEOUT when they were asked to */
  List<Query> stuckQueries() {
    return List.copyOf(stuck);
  }

  /**
   * @param query a query
   * @return its Spark query as last started (a restart replaces it), or empty when it was not started
   */
  Optional<StreamingQuery> streamingQuery(Query query) {
    synchronized (running) {
      return Optional.ofNullable(running.get(query)).map(r -> r.query);
    }
  }

  private int stuckExit() {
    System.err.println("clickstream: query " + stuck.stream().map(Query::queryName).collect(Collectors.joining(", "))
        + " did not stop within "
        + stopTimeout.toSeconds() + " s (STOP_TIMEOUT): exiting without it; its micro-batch is not "
        + "committed and runs again at the next start");
    return 1;
  }

  /**
   * Spark 4.1.1 bug SPARK-55271 (fixed after 4.1.1): when a query restarts on a checkpoint whose last micro-batch
   * was planned but not committed (a killed driver), it replays that batch without asking Kafka for the latest
   * offsets, and the progress report then fails with a NullPointerException in
   * {@code KafkaMicroBatchStream.metrics}. The replayed batch's output and commit are already written by then,
   * so starting the query again on its checkpoint continues normally.
   *
   * @param failure a query's exception
   * @return whether it is that bug
   */
  static boolean isKafkaMetricsBug(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NullPointerException) {
        for (StackTraceElement frame : t.getStackTrace()) {
          if (frame.getClassName().startsWith("org.apache.spark.sql.kafka010.KafkaMicroBatchStream")
              && frame.getMethodName().equals("metrics")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * @param exceptionText a query's exception as text with its stack trace (a termination event's {@code exception})
   * @return whether it is the bug of {@link #isKafkaMetricsBug(Throwable)}: a NullPointerException thrown in
   *     {@code KafkaMicroBatchStream.metrics}
   */
  static boolean isKafkaMetricsBug(String exceptionText) {
    return exceptionText.contains("java.lang.NullPointerException") && exceptionText.matches("(?s).*at org\\.apache\\.spark\\.sql\\.kafka010\\.KafkaMicroBatchStream\\$?\\.metrics\\(.*");
  }

  private static String rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String message = c.getMessage() == null ? "" : c.getMessage().lines().findFirst().orElse("");
    return c.getClass().getSimpleName() + ": " + message;
  }
}
