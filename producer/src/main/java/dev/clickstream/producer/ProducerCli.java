package dev.clickstream.producer;

import dev.clickstream.contract.KafkaSecurity;
import dev.clickstream.contract.StartupFailure;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;
import sun.misc.Signal;

/**
 * {@code clickstream-producer}: sends synthetic web-shop traffic (or a recorded file) to the
 * {@code user_activity} topic, or writes it as JSONL to stdout with {@code --output -}.
 *
 * <p>Exit status: 0 when done or stopped by SIGTERM/SIGINT (after flushing); 1 when Kafka is unreachable
 * within {@code --connect-timeout}, refuses the credentials (one line naming the servers and the mechanism), the
 * topic is missing, the replay file cannot be read, or deliveries
 * failed; 2 for a bad flag (with usage). Progress goes to stderr every 5 s: sent, events/s, errors.
 */
@Command(name = "clickstream-producer", mixinStandardHelpOptions = true, version = "clickstream-producer 0.1.0",
    description = "Send user-activity events to Kafka (topic user_activity, key user_id, JSON values).",
    sortOptions = false, showDefaultValues = true)
public final class ProducerCli implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
      description = "Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--security-protocol", defaultValue = "${env:KAFKA_SECURITY_PROTOCOL:-PLAINTEXT}",
      description = "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (env KAFKA_SECURITY_PROTOCOL). With SASL the JAAS "
          + "line comes from env KAFKA_SASL_JAAS_CONFIG only (a secret, never a flag); a PEM trust store from env "
          + "KAFKA_SSL_TRUSTSTORE_CERTIFICATES.")
  String securityProtocol;

  @Option(names = "--sasl-mechanism", defaultValue = "${env:KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}",
      description = "SASL mechanism (env KAFKA_SASL_MECHANISM).")
  String saslMechanism;

  /** Where KAFKA_SASL_JAAS_CONFIG and KAFKA_SSL_TRUSTSTORE_CERTIFICATES are read; tests replace it. */
  java.util.Map<String, String> env = System.getenv();

  @Option(names = "--topic", defaultValue = "${env:INPUT_TOPIC:-user_activity}", description = "Destination topic (env INPUT_TOPIC).")
  String topic;

  @Mixin TrafficOptions traffic = new TrafficOptions();

  @Option(names = "--count", defaultValue = "0", description = "Stop after this many records; 0 = no limit.")
  long count;

  @Option(names = "--users", defaultValue = "500", description = "Size of the user population.")
  int users;

  @Option(names = "--pages", defaultValue = "50", description = "Number of pages (Zipf-like popularity).")
  int pages;

  @Option(names = "--products", defaultValue = "300", description = "Size of the product catalogue (12 categories, log-normal prices).")
  int products;

  @Option(names = "--currency", description = "Currency of the prices (ISO 4217, e.g. EUR); default: EUR, USD or GBP by the seed.")
  String currency;

  @Option(names = "--seed", description = "Random seed for a reproducible sequence; default: the current time.")
  Long seed;

  @Option(names = "--abandon-share", defaultValue = "0.2", description = "Share of sessions without session_end (0..1).")
  double abandonShare;

  @Option(names = "--late-by", defaultValue = "5m", converter = DurationConverter.class,
      description = "How far late records lie in the past.")
  Duration lateBy;

  @Option(names = "--duplicate-every", defaultValue = "0",
      description = "Every Nth record resends one of the last 64 valid ones unchanged (same event_id); 0 = none.")
  int duplicateEvery;

  @Option(names = "--batch-size", defaultValue = "0",
      description = "Flush after every N records (they leave in batches of N); 0 = the Kafka client's own batching.")
  int batchSize;

  @Option(names = "--start-time", description = "Event time of the first generated event (ISO-8601); default: now.")
  String startTime;

  @Option(names = "--event-rate",
      description = "Events per second of event time; default: --rate, or 1000 when --rate is 0.")
  Double eventRate;

  @Option(names = "--speedup", defaultValue = "1", description = "Replay pace: X times the recorded pace; 0 = as fast as possible.")
  double speedup;

  @Option(names = "--shift-to-now", description = "Replay: shift event times so the first event is now.")
  boolean shiftToNow;

  @Option(names = "--output", description = "'-' writes JSONL to stdout instead of Kafka.")
  String output;

  @Option(names = "--connect-timeout", defaultValue = "30s", converter = DurationConverter.class,
      description = "Give up when Kafka does not answer within this time (exit 1).")
  Duration connectTimeout;

  @Option(names = "--progress-interval", defaultValue = "5s", converter = DurationConverter.class, hidden = true)
  Duration progressInterval;

  private volatile boolean stopping;

  /**
   * @param args command-line flags
   */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** @return the configured picocli command line (exit 1 for {@link ProducerException}, 2 for bad flags) */
  public static CommandLine commandLine() {
    return commandLine(System.getenv());
  }

  /**
   * @param env the environment that KAFKA_SASL_JAAS_CONFIG and KAFKA_SSL_TRUSTSTORE_CERTIFICATES are read from
   *     (the other flags' environment defaults still come from the process environment)
   * @return the configured picocli command line (exit 1 for {@link ProducerException}, 2 for bad flags)
   */
  public static CommandLine commandLine(java.util.Map<String, String> env) {
    ProducerCli cli = new ProducerCli();
    cli.env = env;
    CommandLine cl = new CommandLine(cli);
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine c = e.getCommandLine();
      c.getErr().println("clickstream-producer: " + e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr());
      c.usage(c.getErr());
      return 2;
    });
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof ProducerException || e instanceof IOException) {
        commandLine.getErr().println("clickstream-producer: " + e.getMessage());
        commandLine.getErr().flush();
        return 1;
      }
      throw e;
    });
    return cl;
  }

  @Override
  public Integer call() throws Exception {
    KafkaSecurity security = "-".equals(output) ? null : security();
    validate();
    long runSeed = seed != null ? seed : System.nanoTime();
    PrintWriter err = spec.commandLine().getErr();
    Iterator<ProducedRecord> source;
    RecordPacer pacer;
    if (traffic.replay != null) {
      ReplayFile file = ReplayFile.read(traffic.replay);
      for (ReplayFile.BadLine bad : file.badLines()) {
        err.println("skipped " + traffic.replay + ":" + bad.line() + ": " + bad.reason());
      }
      source = file.toRecords(shiftToNow ? file.shiftTo(Instant.now()) : Duration.ZERO).iterator();
      pacer = RecordPacer.byEventTime(speedup, System::nanoTime);
      err.printf("replaying %d events from %s (%d lines skipped)%n", file.events().size(), traffic.replay, file.badLines().size());
    } else {
      double density = eventRate != null ? eventRate : (traffic.rate > 0 ? traffic.rate : 1000);
      Instant start = startTime != null ? EventCodec.parseTime(startTime) : Instant.now();
      TrafficProfile profile = new TrafficProfile(users, pages, runSeed, start, density,
          traffic.lateEvery, lateBy, traffic.malformedEvery, abandonShare, 8, products,
          currency != null ? currency : TrafficProfile.currencyFor(runSeed));
      source = new TrafficGenerator(profile);
      pacer = RecordPacer.byRate(traffic.rate);
    }
    source = Resends.every(source, duplicateEvery, runSeed);
    installSignalHandlers();
    try (EventSink sink = FlushingSink.of("-".equals(output) ? new StdoutSink(spec.commandLine().getOut())
        : KafkaSink.connect(bootstrapServers, security, topic, connectTimeout), batchSize)) {
      return run(source, pacer, sink, err, System::nanoTime);
    }
  }

  private KafkaSecurity security() {
    try {
      return KafkaSecurity.of(securityProtocol, saslMechanism, env.get("KAFKA_SASL_JAAS_CONFIG"),
          env.get("KAFKA_SSL_TRUSTSTORE_CERTIFICATES"));
    } catch (StartupFailure e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private void validate() {
    if (traffic.rate < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rate must be >= 0 events/s");
    }
    if (count < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--count must be >= 0");
    }
    if (speedup < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--speedup must be >= 0");
    }
    if (duplicateEvery < 0 || duplicateEvery == 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--duplicate-every must be 0 (none) or at least 2");
    }
    if (batchSize < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be >= 0");
    }
    if (output != null && !"-".equals(output)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--output only accepts '-' (stdout)");
    }
    try {
      if (startTime != null) {
        EventCodec.parseTime(startTime);
      }
      new TrafficProfile(users, pages, 0, Instant.EPOCH, eventRate != null ? eventRate : 1, traffic.lateEvery, lateBy,
          traffic.malformedEvery, abandonShare, 8, products, currency != null ? currency : "EUR");
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private int run(Iterator<ProducedRecord> source, RecordPacer pacer, EventSink sink, PrintWriter err, LongSupplier nanoClock)
      throws InterruptedException {
    long start = nanoClock.getAsLong();
    long sent = new SendLoop(source, pacer, sink, count, traffic.duration, () -> stopping, progressInterval, line -> {
      err.println(line);
      err.flush();
    }, nanoClock).run();
    double seconds = (nanoClock.getAsLong() - start) / 1e9;
    err.printf("done: sent %d in %.1f s (%.0f events/s), errors %d%s%n", sent, seconds, sent / Math.max(seconds, 1e-9),
        sink.errors(), stopping ? " (stopped by signal)" : "");
    err.flush();
    if (sink.errors() > 0) {
      String first = sink instanceof KafkaSink k ? k.firstError() : null;
      err.println("clickstream-producer: " + sink.errors() + " records were not delivered" + (first == null ? "" : ": " + first));
      err.flush();
      return 1;
    }
    return 0;
  }

  /** SIGTERM and SIGINT stop the send loop; the sink is then flushed and the process exits 0. */
  private void installSignalHandlers() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> stopping = true);
      } catch (IllegalArgumentException e) {
        // signal not available on this platform
      }
    }
  }
}
