package dev.clickstream.local;

import dev.clickstream.app.PipelineRuntime;
import dev.clickstream.app.PipelineLauncher;
import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.Settings;
import dev.clickstream.app.sink.DatabaseConfig;
import dev.clickstream.app.sink.IngestSink;
import dev.clickstream.app.sink.LakeTable;
import dev.clickstream.app.source.InputTopic;
import dev.clickstream.producer.DurationConverter;
import dev.clickstream.producer.KafkaSink;
import dev.clickstream.producer.ProducedRecord;
import dev.clickstream.producer.RecordPacer;
import dev.clickstream.producer.ReplayFile;
import dev.clickstream.producer.SendLoop;
import dev.clickstream.producer.TrafficGenerator;
import dev.clickstream.producer.TrafficOptions;
import dev.clickstream.producer.TrafficProfile;
import dev.clickstream.testkit.DatabaseRoles;
import dev.clickstream.testkit.KafkaBroker;
import dev.clickstream.testkit.PostgresServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code make run}: the whole platform in one process on a laptop. An in-process Kafka broker (KRaft) and an
 * embedded PostgreSQL 17 keep their data under {@code ./data/kafka} and {@code ./data/postgres}; the pipeline
 * (local[N]: a task slot per input partition plus two, so that ingest runs in real-time mode) keeps its lake and
 * checkpoints under {@code ./data}, so a second run continues where the first
 * stopped. A producer thread sends generated traffic (or a replayed file) unless {@code --no-producer}.
 *
 * <p>It prints how to look with real clients first, then a {@link LiveSummary} every 10 s. Ctrl-C/SIGTERM
 * stops the producer, the queries, the broker and the database, and exits 0. A port in use, an unwritable
 * data directory or a failing query (a corrupt checkpoint, say) prints one line and exits 1.
 */
@Command(name = "clickstream-local", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Run Kafka, PostgreSQL, the producer and the clickstream pipeline in one process.")
public final class LocalClickstream implements Callable<Integer> {
  /** The producer's traffic flags (its defaults, but every 200th record malformed: {@link #DEFAULTS}). */
  @Mixin TrafficOptions traffic = new TrafficOptions();

  @Option(names = "--no-producer", description = "Only the platform; feed it from outside.")
  boolean noProducer;

  @Option(names = "--port-kafka", defaultValue = "9092", description = "Kafka port on 127.0.0.1.")
  int portKafka;

  @Option(names = "--port-postgres", defaultValue = "5432", description = "PostgreSQL port on 127.0.0.1.")
  int portPostgres;

  @Option(names = "--port-metrics", defaultValue = "9464", description = "Prometheus metrics (/metrics) on this port; 0 = off.")
  int portMetrics;

  @Option(names = "--data-dir", defaultValue = "./data", description = "Where Kafka, PostgreSQL, the lake and checkpoints keep their data.")
  Path dataDir;

  @Option(names = "--trigger-interval", defaultValue = "5 seconds", description = "Micro-batch trigger.")
  String triggerInterval;

  @Option(names = "--summary-interval", defaultValue = "10s", converter = DurationConverter.class, hidden = true)
  Duration summaryInterval;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final PrintStream out = System.out;

  /** make run's own defaults of the shared traffic flags: a stream with some malformed records to look at. */
  static final CommandLine.IDefaultValueProvider DEFAULTS =
      arg -> arg instanceof CommandLine.Model.OptionSpec o && o.longestName().equals("--malformed-every") ? "200" : null;

  /** @param args flags; exits with 0 (stopped), 1 (failure) or 2 (bad flag) */
  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new LocalClickstream()).setDefaultValueProvider(DEFAULTS);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      System.err.println("clickstream-local: " + (e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("")));
      return 1;
    });
    System.exit(cl.execute(args));
  }

  /** Partitions of the local input and enriched topics. */
  static final int INPUT_PARTITIONS = 4;

  @Override
  public Integer call() throws Exception {
    Path data = dataDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(data);
      Path probe = Files.createTempFile(data, ".write-test", "");
      Files.delete(probe);
    } catch (IOException e) {
      throw new IllegalStateException("data directory " + data + " is not writable: " + e.getMessage());
    }
    installSignalHandlers();
    try (KafkaBroker kafka = startKafka(data);
         PostgresServer pg = startPostgres(data)) {
      String jdbcUrl = pg.createDatabase("clickstream");
      // the roles of the chart's Postgres: migrations as the owner, the sinks as the writer, people as the reader
      DatabaseRoles roles = DatabaseRoles.LOCAL;
      roles.createIn(pg, "clickstream");
      Settings settings = Settings.builder() // topic names: the settings' defaults
          .kafkaBootstrapServers(kafka.bootstrapServers())
          .database(jdbcUrl, roles.writer(), roles.writerPassword())
          .migrationRole(roles.owner(), roles.ownerPassword())
          .lakePath(data.resolve("lake"))
          .checkpointRoot(data.resolve("checkpoints"))
          .triggerInterval(triggerInterval)
          // a task slot per input partition for real-time ingest, two for the other queries (IngestMode.choose):
          // its tasks wait on Kafka most of the time, so more slots than cores cost little
          .sparkMaster("local[" + Math.max(Runtime.getRuntime().availableProcessors(),
              INPUT_PARTITIONS + IngestMode.OTHER_QUERIES_SLOTS) + "]")
          .metricsPort(portMetrics)
          .build();
      kafka.createTopic(settings.kafka().inputTopic(), INPUT_PARTITIONS, InputTopic.configs());
      kafka.createTopic(settings.kafka().enrichedTopic(), INPUT_PARTITIONS);
      kafka.createTopic(settings.kafka().dlqTopic(), 1, IngestSink.deadLetterTopicConfigs());
      PipelineLauncher launcher = PipelineLauncher.launch(settings);
      SparkSession spark = launcher.spark();
      out.println("clickstream is starting. Look with real clients:");
      out.println("  Kafka bootstrap: " + kafka.bootstrapServers() + "   topics " + settings.kafka().inputTopic() + ", "
          + settings.kafka().enrichedTopic() + ", " + settings.kafka().dlqTopic());
      out.println("  JDBC URL:        " + jdbcUrl + "   (read-only role " + roles.reader() + "; the pipeline writes as "
          + roles.writer() + ")");
      out.println("  psql:            psql -h 127.0.0.1 -p " + pg.port() + " -U " + roles.reader() + " clickstream");
      out.println("  lake:            " + settings.lake().eventsPath() + "   (a Delta table)");
      out.println("  metrics:         " + (portMetrics == 0 ? "off (--port-metrics 0)"
          : "http://127.0.0.1:" + portMetrics + "/metrics   (Prometheus text format; make monitoring-local scrapes it)"));
      out.println("  Spark UI:        " + (spark.sparkContext().uiWebUrl().isDefined()
          ? spark.sparkContext().uiWebUrl().get() + "   (Structured Streaming tab: every query)" : "off (spark.ui.enabled=false)"));
      out.println("  stop:            Ctrl-C (a second run continues from the checkpoints; make clean-data starts over)");
      out.flush();

      PipelineRuntime pipeline = launcher.pipeline();
      int[] pipelineStatus = {-1};
      Thread pipelineThread = new Thread(() -> {
        pipelineStatus[0] = launcher.runUntilDone();
        stopRequested.countDown();
      }, "clickstream-pipeline");
      pipelineThread.start();
      Thread producer = noProducer ? null : startProducer(kafka.bootstrapServers(), settings.kafka().inputTopic());
      try (var admin = kafka.admin()) {
        // the live summary reads what a person could, as the read-only role
        LiveSummary summary = new LiveSummary(spark, new DatabaseConfig(jdbcUrl, roles.reader(), roles.readerPassword()),
            admin, settings.kafka().dlqTopic(), new LakeTable(settings.lake().eventsPath()));
        while (!stopRequested.await(summaryInterval.toMillis(), TimeUnit.MILLISECONDS)) {
          out.print(summary.render());
          out.flush();
        }
      }
      out.println("stopping: producer, queries, Spark, Kafka, PostgreSQL");
      if (producer != null) {
        producer.interrupt();
        producer.join(10_000);
      }
      if (pipelineStatus[0] == -1) { // still running: an ordinary stop (Ctrl-C, SIGTERM)
        pipeline.stopOnRequest();
      }
      pipelineThread.join(20_000);
      launcher.close();
      if (pipelineStatus[0] > 0) {
        System.err.println("clickstream-local: the pipeline failed (see the line above); the data directory " + data + " is kept");
        return pipelineStatus[0];
      }
    }
    out.println("stopped");
    return 0;
  }

  private KafkaBroker startKafka(Path data) {
    try {
      return KafkaBroker.start(data.resolve("kafka"), portKafka, false);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + " (choose another with --port-kafka)");
    }
  }

  private PostgresServer startPostgres(Path data) {
    try {
      return PostgresServer.start(data.resolve("postgres"), portPostgres, false);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + " (choose another with --port-postgres)");
    }
  }

  private Thread startProducer(String bootstrap, String topic) throws IOException {
    Iterator<ProducedRecord> records;
    RecordPacer pacer;
    if (traffic.replay() != null) {
      ReplayFile file = ReplayFile.read(traffic.replay());
      file.badLines().forEach(b -> System.err.println("skipped " + traffic.replay() + ":" + b.line() + ": " + b.reason()));
      records = file.toRecords(file.shiftTo(Instant.now())).iterator();
      pacer = RecordPacer.byEventTime(1, System::nanoTime);
    } else {
      TrafficProfile profile = TrafficProfile.defaults(System.nanoTime(), Instant.now(), traffic.rate())
          .withLate(traffic.lateEvery(), Duration.ofMinutes(5)).withMalformedEvery(traffic.malformedEvery());
      records = new TrafficGenerator(profile);
      pacer = RecordPacer.byRate(traffic.rate());
    }
    Thread thread = new Thread(() -> {
      // the producer CLI's own send loop: a record Kafka refuses for good stops it with one line
      try (KafkaSink sink = KafkaSink.connect(bootstrap, topic, Duration.ofSeconds(30))) {
        new SendLoop(records, pacer, sink, 0, traffic.duration(), () -> Thread.currentThread().isInterrupted(),
            Duration.ofDays(1), line -> { }, System::nanoTime).run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        System.err.println("clickstream-local: producer stopped: " + e.getMessage());
      }
    }, "clickstream-producer");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private void installSignalHandlers() {
    for (String name : List.of("TERM", "INT")) {
      try {
        Signal.handle(new Signal(name), signal -> stopRequested.countDown());
      } catch (IllegalArgumentException e) {
        // signal not available here
      }
    }
  }
}
