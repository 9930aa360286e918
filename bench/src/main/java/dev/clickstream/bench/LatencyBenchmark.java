package dev.clickstream.bench;

import dev.clickstream.contract.ResultTable;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.percentile;
import static org.apache.spark.sql.functions.unix_millis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clickstream.app.PipelineRuntime;
import dev.clickstream.contract.Query;
import dev.clickstream.app.analytics.WindowedAnalytics;
import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.source.InputTopic;
import dev.clickstream.contract.EventType;
import dev.clickstream.producer.EventCodec;
import dev.clickstream.producer.KafkaSink;
import dev.clickstream.producer.MalformedEventException;
import dev.clickstream.producer.RecordPacer;
import dev.clickstream.producer.TrafficGenerator;
import dev.clickstream.producer.TrafficProfile;
import dev.clickstream.producer.UserActivityEvent;
import dev.clickstream.testkit.KafkaBroker;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import dev.clickstream.app.metrics.BatchTimeParts;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * The latency runs of the benchmark: the whole pipeline (all queries) at a fixed input rate with a
 * processing-time trigger, the ingest query in micro-batch or real-time mode, in steady state.
 *
 * <p>A producer thread sends the producer's mix (late and malformed records included) at {@code rate}
 * events/s with event time = wall time, for warm-up + measured time. The pipeline then drains what was sent
 * and stops. Measured afterwards, from the topics and Postgres, for events sent after the warm-up:
 * <ul>
 *   <li>enriched latency: the enriched record's Kafka timestamp (set when Spark's producer sends it) minus the
 *       source record's Kafka timestamp, joined on event_id (first copy if the at-least-once sink wrote two);</li>
 *   <li>Postgres latency: the {@code updated_at} of the first page_view_counts row version that counts the
 *       page view (see {@link WindowLatency}; rows are polled every 250 ms while the pipeline runs), minus
 *       the source record's Kafka timestamp; on-time page views only (late ones are dropped by the watermark).</li>
 * </ul>
 * Also: JVM heap peak (sampled every 100 ms) and live heap peak (after each GC; driver, executor, broker and
 * producer share this JVM), state
 * rows of the stateful queries at the end, micro-batch durations. Broker, Postgres and producer run on the
 * same 2 cores as Spark.
 */
public final class LatencyBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long LATE_MS = 60_000;

  private LatencyBenchmark() {}

  /**
   * @param rate input events/s
   * @param mode INGEST_MODE of the run
   * @param queries the queries that ran: all of them, or ingest alone
   * @param sent records sent during the run
   * @param sentPerSecond achieved send rate, events/s
   * @param enrichedMs latency to enriched_activity, ms
   * @param enrichedMissing measured valid events with no enriched record
   * @param postgresMs latency to page_view_counts.updated_at, ms (none without analytics)
   * @param postgresUncounted measured on-time page views no row version counted
   * @param heapPeakBytes largest sampled heap use (garbage included), bytes
   * @param liveHeapPeakBytes largest heap use right after a garbage collection (what stays reachable), bytes
   * @param stateRows per stateful query, state rows after the last micro-batch
   * @param batchMs per query, micro-batch durations (triggerExecution) after the warm-up, ms
   * @param batchPartsMs per query, the mean ms per micro-batch after the warm-up of each {@link BatchTimeParts} part
   * @param lakeMs latency to the lake: the modification time of the Parquet file that holds the event (written just
   *     before its Delta commit) minus the event's Kafka timestamp, ms, measured events
   * @param lag per query, records behind the input topic during the measured time (see {@link Lag})
   * @param jvmCores the JVM's CPU time over the measured time divided by that time (cores busy: driver, executors,
   *     broker and producer; not Postgres, a process of its own), from the JVM's process CPU time
   *     ({@code com.sun.management.OperatingSystemMXBean#getProcessCpuTime}, which reads /proc on Linux)
   */
  public record Result(int rate, IngestMode mode, List<Query> queries, long sent, double sentPerSecond, Percentiles enrichedMs, long enrichedMissing,
      Percentiles postgresMs, long postgresUncounted, long heapPeakBytes, long liveHeapPeakBytes, Map<String, Long> stateRows,
      Map<String, Percentiles> batchMs, Map<String, Map<String, Long>> batchPartsMs, Percentiles lakeMs,
      Map<String, Lag> lag, double jvmCores) {
    /** @return the mode and, when not every query ran, which did: {@code real-time, ingest alone} */
    public String label() {
      return mode + (queries.size() == Query.values().length ? "" : ", " + String.join(" + ", queries.stream().map(Query::queryName).toList()) + " alone");
    }

    /** @return whether any query's lag grew over the measured time */
    public boolean lagGrowing() {
      return lag.values().stream().anyMatch(Lag::growing);
    }
  }

  /**
   * A query's Kafka lag over the measured time: records sent so far (at the achieved send rate) minus the end offsets
   * of its micro-batches as they complete.
   *
   * @param firstThird mean lag of the micro-batches completed in the first third of the measured time, records
   * @param lastThird the same in the last third
   * @param growing whether the last third's mean exceeds the first's by more than one trigger interval of input
   *     (the saw-tooth of a micro-batch query is up to one interval deep)
   */
  public record Lag(long firstThird, long lastThird, boolean growing) {}

  /**
   * Runs the pipeline at one rate on fresh topics, checkpoints and tables.
   *
   * @param kafka the broker
   * @param shared settings shared by all runs (Kafka, JDBC)
   * @param db the database of {@code shared}, tables emptied here
   * @param spark the session
   * @param dir a scratch directory for this run's checkpoints and lake
   * @param rate input events/s, &gt; 0
   * @param mode the ingest query's mode (INGEST_MODE); real-time needs a task slot per input partition (4) + 2
   * @param queries the queries to run
   * @param warmUp sent but not measured (first micro-batches include start-up)
   * @param measured how long measured events are sent
   * @param trigger the micro-batch trigger interval
   * @return the measurements
   * @throws IllegalStateException when the pipeline fails (one that does not catch up within 3 minutes after the
   *     last record is reported as it is: events missing from the outputs, a growing lag)
   * @throws Exception on Kafka, JDBC or interruption errors
   */
  public static Result run(KafkaBroker kafka, Settings.Builder shared, DatabaseConfig db, SparkSession spark,
      Path dir, int rate, IngestMode mode, List<Query> queries, Duration warmUp, Duration measured, Duration trigger)
      throws Exception {
    String run = rate + "_" + mode.name().toLowerCase(java.util.Locale.ROOT) + "_" + queries.size();
    Settings base = shared.build(); // topic names: the settings' defaults, per run
    String input = base.kafka().inputTopic() + "_" + run;
    String enriched = base.kafka().enrichedTopic() + "_" + run;
    String deadLetter = base.kafka().dlqTopic() + "_" + run;
    kafka.createTopic(input, 4, InputTopic.configs());
    kafka.createTopic(enriched, 4);
    kafka.createTopic(deadLetter, 1, dev.clickstream.app.sink.IngestSink.deadLetterTopicConfigs());
    Settings settings = shared.copy().ingestMode(mode).inputTopic(input).enrichedTopic(enriched).dlqTopic(deadLetter)
        .triggerInterval(trigger).checkpointRoot(dir.resolve("checkpoints")).lakePath(dir.resolve("lake"))
        .unlimitedOffsetsPerTrigger().build();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE " + String.join(", ", ClickstreamBenchmark.tables()));
    }

    ConcurrentLinkedQueue<StreamingQueryProgress> progress = new ConcurrentLinkedQueue<>();
    StreamingQueryListener listener = new ProgressCollector(progress);
    spark.streams().addListener(listener);
    WindowLatency windows = new WindowLatency(dev.clickstream.contract.ResultTable.PAGE_VIEW_COUNTS.window().toMillis());
    AtomicLong heapPeak = new AtomicLong();
    ScheduledExecutorService samplers = Executors.newScheduledThreadPool(2);
    Connection poll = db.connect();
    PostgresPoller poller = new PostgresPoller(poll, windows);
    samplers.scheduleAtFixedRate(() -> heapPeak.accumulateAndGet(
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max), 0, 100, TimeUnit.MILLISECONDS);
    java.util.concurrent.atomic.AtomicReference<RuntimeException> pollFailure = new java.util.concurrent.atomic.AtomicReference<>();
    samplers.scheduleWithFixedDelay(() -> {
      try {
        poller.run();
      } catch (RuntimeException e) {
        pollFailure.compareAndSet(null, e); // a scheduled task that throws is silently cancelled: report it below
        throw e;
      }
    }, 0, 250, TimeUnit.MILLISECONDS);

    LiveHeapPeak liveHeap = LiveHeapPeak.start();

    PipelineRuntime pipeline = new PipelineRuntime(spark, settings, java.util.Set.copyOf(queries));
    int[] status = {-1};
    Thread runner = new Thread(() -> status[0] = pipeline.runUntilDone(), "pipeline");
    runner.start();

    long sendStart = System.currentTimeMillis();
    long measureFrom = sendStart + warmUp.toMillis();
    long sendEnd = measureFrom + measured.toMillis();
    long sent = 0;
    TrafficGenerator generator = new TrafficGenerator(
        TrafficProfile.defaults(5, Instant.ofEpochMilli(sendStart), rate).withMalformedEvery(500));
    RecordPacer pacer = RecordPacer.byRate(rate);
    long cpuFromNs = -1;
    long wallFromNs = 0;
    try (KafkaSink sink = KafkaSink.connect(kafka.bootstrapServers(), input, Duration.ofSeconds(30))) {
      while (System.currentTimeMillis() < sendEnd && runner.isAlive()) {
        var record = generator.next();
        pacer.await(record);
        sink.send(record);
        sent++;
        if (cpuFromNs < 0 && System.currentTimeMillis() >= measureFrom) {
          cpuFromNs = processCpuNs();
          wallFromNs = System.nanoTime();
        }
      }
    }
    double jvmCores = cpuFromNs < 0 ? 0 : (processCpuNs() - cpuFromNs) / (double) (System.nanoTime() - wallFromNs);
    double sentPerSecond = sent * 1000.0 / (System.currentTimeMillis() - sendStart);

    long deadline = System.currentTimeMillis() + 180_000;
    while (!caughtUp(progress, queries, sent) && runner.isAlive() && System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
    }
    boolean drained = caughtUp(progress, queries, sent);
    pipeline.stop();
    runner.join();
    samplers.shutdown();
    samplers.awaitTermination(10, TimeUnit.SECONDS);
    poller.run(); // the last versions
    poll.close();
    long liveHeapPeak = liveHeap.stop();
    spark.streams().removeListener(listener);
    if (pollFailure.get() != null) {
      throw pollFailure.get();
    }
    if (status[0] != 0) {
      throw new IllegalStateException("latency run at " + rate + " events/s (" + mode + "): pipeline status " + status[0]);
    }
    if (!drained) { // a rate the pipeline does not sustain: measured as far as it got (missing, uncounted, lag)
      System.err.println("bench: at " + rate + " events/s the pipeline did not process all " + sent
          + " records within 3 minutes of the last one sent; the run reports what it had processed");
    }

    // Source records: Kafka timestamps by event_id; counted page views into the window oracle.
    Map<String, Long> sourceTimestamps = new HashMap<>();
    forEachRecord(kafka.bootstrapServers(), input, r -> {
      UserActivityEvent event;
      try {
        event = EventCodec.fromJson(new String(r.value(), StandardCharsets.UTF_8));
      } catch (MalformedEventException e) {
        return; // dead letter: not enriched, not counted
      }
      sourceTimestamps.put(event.eventId(), r.timestamp());
      boolean late = event.eventTime().toEpochMilli() < r.timestamp() - LATE_MS;
      if (!late && event.eventType() == EventType.PAGE_VIEW) {
        windows.event(r.timestamp(), event.eventTime().toEpochMilli(), event.pageUrl());
      }
    });
    long measuredValid = sourceTimestamps.values().stream().filter(ts -> ts >= measureFrom).count();
    List<Long> enrichedLatencies = new ArrayList<>();
    forEachRecord(kafka.bootstrapServers(), enriched, r -> {
      Long source;
      try {
        source = sourceTimestamps.remove(JSON.readTree(r.value()).path("event_id").asText());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("an enriched record is not JSON", e);
      }
      if (source != null && source >= measureFrom) {
        enrichedLatencies.add(r.timestamp() - source);
      }
    });
    WindowLatency.Result postgres = windows.latencies(measureFrom);
    Map<String, Lag> lag = new LinkedHashMap<>();
    for (Query query : queries) {
      Duration batch = query == Query.LAKE ? settings.lakeQueryTrigger().interval()
          : query == Query.INGEST && mode == IngestMode.REAL_TIME ? settings.triggers().realTimeBatchDuration()
          : settings.triggers().interval().interval();
      lag.put(query.queryName(), lag(progress, query.queryName(), sendStart, sentPerSecond, measureFrom, sendEnd,
          (long) (sentPerSecond * batch.toMillis() / 1000)));
    }
    return new Result(rate, mode, List.copyOf(queries), sent, sentPerSecond, Percentiles.of(enrichedLatencies.stream().mapToLong(Long::longValue).toArray()),
        measuredValid - enrichedLatencies.size(),
        queries.contains(Query.ANALYTICS) ? Percentiles.of(postgres.latenciesMs()) : Percentiles.NONE,
        queries.contains(Query.ANALYTICS) ? postgres.uncounted() : 0,
        heapPeak.get(), liveHeapPeak, stateRows(progress), batchDurations(progress, measureFrom),
        batchParts(progress, measureFrom),
        queries.contains(Query.LAKE) ? lakeLatency(spark, settings.lake().eventsPath(), measureFrom)
            : Percentiles.NONE, lag, jvmCores);
  }

  /** @return CPU time of this JVM process so far, ns (all threads; user + system) */
  private static long processCpuNs() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** Latency to the lake of the events sent from {@code fromMs} on: see {@link Result#lakeMs()}. */
  private static Percentiles lakeLatency(SparkSession spark, String lakeEvents, long fromMs) {
    Row r = spark.read().format("delta").load(lakeEvents)
        .where(col("kafka_timestamp").geq(lit(new Timestamp(fromMs))))
        .select(unix_millis(col("_metadata.file_modification_time")).minus(unix_millis(col("kafka_timestamp"))).as("ms"))
        .agg(count(lit(1)), percentile(col("ms"), lit(0.5)), percentile(col("ms"), lit(0.95)),
            percentile(col("ms"), lit(0.99)), max(col("ms")))
        .first();
    return new Percentiles((int) r.getLong(0), Math.round(r.getDouble(1)), Math.round(r.getDouble(2)),
        Math.round(r.getDouble(3)), r.getLong(4));
  }

  /** A query's {@link Lag} from its progress reports. */
  private static Lag lag(ConcurrentLinkedQueue<StreamingQueryProgress> progress, String query, long sendStart,
      double sentPerSecond, long fromMs, long toMs, long oneTrigger) {
    long third = (toMs - fromMs) / 3;
    List<Long> first = new ArrayList<>();
    List<Long> last = new ArrayList<>();
    for (StreamingQueryProgress p : progress) {
      if (!query.equals(p.name()) || p.sources().length == 0) {
        continue;
      }
      long done = Instant.parse(p.timestamp()).toEpochMilli() + p.batchDuration();
      long behind = Math.max(0, Math.round(sentPerSecond * (Math.min(done, toMs) - sendStart) / 1000) - endOffsetSum(p));
      if (done >= fromMs && done < fromMs + third) {
        first.add(behind);
      } else if (done >= toMs - third && done <= toMs) {
        last.add(behind);
      }
    }
    long a = Math.round(first.stream().mapToLong(Long::longValue).average().orElse(0));
    long b = Math.round(last.stream().mapToLong(Long::longValue).average().orElse(0));
    return new Lag(a, b, b - a > oneTrigger);
  }

  /** Whether every query's latest micro-batch ends at or after the {@code sent} records of the input topic. */
  private static boolean caughtUp(ConcurrentLinkedQueue<StreamingQueryProgress> progress, List<Query> queries, long sent) {
    Map<String, Long> read = new HashMap<>();
    for (StreamingQueryProgress p : progress) {
      read.merge(p.name(), endOffsetSum(p), Math::max);
    }
    return queries.stream().allMatch(q -> read.getOrDefault(q.queryName(), 0L) >= sent);
  }

  private static long endOffsetSum(StreamingQueryProgress p) {
    long sum = 0;
    try {
      for (JsonNode topic : JSON.readTree(p.sources()[0].endOffset())) {
        for (JsonNode offset : topic) {
          sum += offset.asLong();
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable end offset " + p.sources()[0].endOffset(), e);
    }
    return sum;
  }

  private static Map<String, Long> stateRows(ConcurrentLinkedQueue<StreamingQueryProgress> progress) {
    Map<String, Long> rows = new LinkedHashMap<>();
    for (StreamingQueryProgress p : progress) {
      if (p.stateOperators().length > 0) {
        long total = 0;
        for (StateOperatorProgress op : p.stateOperators()) {
          total += op.numRowsTotal();
        }
        rows.put(p.name(), total); // progress arrives in order per query: the last one wins
      }
    }
    return rows;
  }

  private static Map<String, Percentiles> batchDurations(ConcurrentLinkedQueue<StreamingQueryProgress> progress, long fromMs) {
    Map<String, List<Long>> durations = new LinkedHashMap<>();
    for (StreamingQueryProgress p : progress) {
      Long ms = p.durationMs().get("triggerExecution");
      if (ms != null && p.numInputRows() > 0 && Instant.parse(p.timestamp()).toEpochMilli() >= fromMs) {
        durations.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(ms);
      }
    }
    Map<String, Percentiles> out = new LinkedHashMap<>();
    durations.forEach((name, ms) -> out.put(name, Percentiles.of(ms.stream().mapToLong(Long::longValue).toArray())));
    return out;
  }

  /** @return per query, the mean ms per micro-batch of each part, over the micro-batches with input from {@code fromMs} */
  private static Map<String, Map<String, Long>> batchParts(ConcurrentLinkedQueue<StreamingQueryProgress> progress, long fromMs) {
    Map<String, Map<String, Long>> sums = new LinkedHashMap<>();
    Map<String, Integer> batches = new LinkedHashMap<>();
    for (StreamingQueryProgress p : progress) {
      if (p.numInputRows() > 0 && Instant.parse(p.timestamp()).toEpochMilli() >= fromMs) {
        batches.merge(p.name(), 1, Integer::sum);
        BatchTimeParts.of(p).forEach((part, ms) ->
            sums.computeIfAbsent(p.name(), k -> new LinkedHashMap<>()).merge(part, ms, Long::sum));
      }
    }
    Map<String, Map<String, Long>> means = new LinkedHashMap<>();
    sums.forEach((query, parts) -> {
      Map<String, Long> mean = new LinkedHashMap<>();
      parts.forEach((part, ms) -> mean.put(part, Math.round((double) ms / batches.get(query))));
      means.put(query, mean);
    });
    return means;
  }

  /** Reads a topic from its beginning to its current end. */
  static void forEachRecord(String bootstrap, String topic, Consumer<ConsumerRecord<byte[], byte[]>> action) {
    try (var consumer = new KafkaConsumer<byte[], byte[]>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(500)).forEach(action);
      }
    }
  }

  /** Collects every progress report. */
  private static final class ProgressCollector extends StreamingQueryListener {
    private final ConcurrentLinkedQueue<StreamingQueryProgress> progress;

    ProgressCollector(ConcurrentLinkedQueue<StreamingQueryProgress> progress) {
      this.progress = progress;
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
      progress.add(event.progress());
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {}

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {}
  }

  /** Reads page_view_counts rows changed since the last poll into a {@link WindowLatency}. */
  private static final class PostgresPoller implements Runnable {
    private final Connection connection;
    private final WindowLatency windows;
    private long since = 0;

    PostgresPoller(Connection connection, WindowLatency windows) {
      this.connection = connection;
      this.windows = windows;
    }

    @Override
    public synchronized void run() {
      // updated_at is now() of the writing transaction, i.e. its start: a slower transaction may commit a
      // smaller updated_at after a faster one, so look back a minute.
      try (PreparedStatement s = connection.prepareStatement(
          "SELECT window_start, page_url, view_count, updated_at FROM " + ResultTable.PAGE_VIEW_COUNTS + " WHERE updated_at >= ?")) {
        s.setTimestamp(1, new Timestamp(since - 60_000));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long updatedAt = rs.getTimestamp(4).getTime();
            windows.rowVersion(rs.getTimestamp(1).getTime(), rs.getString(2), rs.getLong(3), updatedAt);
            since = Math.max(since, updatedAt);
          }
        }
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException("polling " + ResultTable.PAGE_VIEW_COUNTS + ": " + e.getMessage(), e);
      }
    }
  }
}
