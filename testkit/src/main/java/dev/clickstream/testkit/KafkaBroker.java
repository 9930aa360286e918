package dev.clickstream.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node Kafka 3.9 broker in KRaft combined mode (broker + controller), running inside this JVM.
 *
 * <p>Start-up formats the log directory like {@code kafka-storage.sh format} (skipped when it is already
 * formatted, so a broker restarted on the same directory keeps its topics and offsets), then starts
 * {@link KafkaRaftServer}. It listens on 127.0.0.1 only. Topics are never auto-created: call
 * {@link #createTopic}. Start-up takes ~2-3 s cold, well under 1 s in a warm JVM (architecture §8).
 */
public final class KafkaBroker implements KafkaFixture {
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String KEYSTORE_PASSWORD = "clickstream-test";

  private final KafkaConfig config;
  private final Path logDir;
  private final int port;
  private final boolean deleteOnClose;
  private final int securedPort; // 0 without the SASL_SSL listener
  private final String caCertificatePem;
  private KafkaRaftServer server; // null while stopped
  private volatile boolean closed;

  private KafkaBroker(KafkaConfig config, Path logDir, int port, boolean deleteOnClose, int securedPort,
      String caCertificatePem) {
    this.config = config;
    this.logDir = logDir;
    this.port = port;
    this.deleteOnClose = deleteOnClose;
    this.securedPort = securedPort;
    this.caCertificatePem = caCertificatePem;
  }

  /**
   * Starts a throw-away broker on free ports with a temporary log directory, deleted on {@link #close()}.
   *
   * @return a started broker
   * @throws UncheckedIOException when the temporary directory cannot be made or the broker fails to start
   */
  public static KafkaBroker startTemporary() {
    try {
      return start(Files.createTempDirectory("kafka-kraft-"), 0, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a broker whose data survives restarts.
   *
   * @param logDir log directory; formatted on first use, reused afterwards (its cluster id is kept)
   * @param port client port on 127.0.0.1, or 0 for a free one; the controller takes another free port
   * @param deleteOnClose whether {@link #close()} deletes {@code logDir}
   * @return a started broker, ready for clients
   * @throws IllegalStateException when {@code port} is already in use
   * @throws UncheckedIOException when formatting or start-up fails
   */
  public static KafkaBroker start(Path logDir, int port, boolean deleteOnClose) {
    return start(logDir, port, deleteOnClose, false);
  }

  /**
   * Starts a throw-away broker that, next to its PLAINTEXT listener (an administrator's: super user, no
   * authentication), has a SASL_SSL listener with SCRAM-SHA-512 authentication and Kafka's {@code StandardAuthorizer}
   * (ACLs, no access without one): the client listener Strimzi builds from {@code type: scram-sha-512} and
   * {@code authorization: simple}. Its TLS certificate is self-signed for 127.0.0.1 and localhost
   * ({@link #caCertificatePem()}). Create users with {@link #addScramUser} and ACLs with the {@link #admin()} client.
   *
   * @return a started broker, its log directory deleted on {@link #close()}
   * @throws UncheckedIOException when the certificate or the temporary directory cannot be made
   */
  public static KafkaBroker startTemporaryWithScram() {
    try {
      return start(Files.createTempDirectory("kafka-kraft-scram-"), 0, true, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KafkaBroker start(Path logDir, int port, boolean deleteOnClose, boolean scram) {
    if (port != 0 && !FreePorts.isFree(port)) {
      throw new IllegalStateException("Kafka port " + port + " on 127.0.0.1 is already in use");
    }
    int[] others = FreePorts.distinct(2, port);
    int[] ports = port == 0 ? FreePorts.distinct(3) : new int[] {port, others[0], others[1]};
    int clientPort = ports[0];
    int controllerPort = ports[1];
    int securedPort = scram ? ports[2] : 0;
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    String secured = scram ? ",SECURED://127.0.0.1:" + securedPort : "";
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + secured + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort + secured);
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"
        + (scram ? ",SECURED:SASL_SSL" : ""));
    String caPem = null;
    if (scram) {
      Path keystore = logDir.resolveSibling(logDir.getFileName() + "-tls").resolve("broker.p12");
      caPem = SelfSignedCertificate.create(keystore, KEYSTORE_PASSWORD);
      String tls = keystore.toString();
      props.put("listener.name.secured.sasl.enabled.mechanisms", "SCRAM-SHA-512");
      props.put("listener.name.secured.scram-sha-512.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      props.put("listener.name.secured.ssl.keystore.type", "PKCS12");
      props.put("listener.name.secured.ssl.keystore.location", tls);
      props.put("listener.name.secured.ssl.keystore.password", KEYSTORE_PASSWORD);
      props.put("listener.name.secured.ssl.key.password", KEYSTORE_PASSWORD);
      props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      // the PLAINTEXT and controller listeners' principal: the administrator and the broker itself
      props.put("super.users", "User:ANONYMOUS");
    }
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toAbsolutePath().toString());
    props.put("auto.create.topics.enable", "false");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("group.initial.rebalance.delay.ms", "0");
    // Room for the producer's large batches (Kafka default is 1 MB).
    props.put("message.max.bytes", String.valueOf(8 * 1024 * 1024));
    props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
    try {
      Files.createDirectories(logDir);
      KafkaConfig config = new KafkaConfig(props, false);
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        new Formatter()
            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
            .setNodeId(1)
            .setClusterId(Uuid.randomUuid().toString())
            .setControllerListenerName(CONTROLLER_LISTENER)
            .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
            .setDirectories(List.of(logDir.toAbsolutePath().toString()))
            .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
            .setIgnoreFormatted(true)
            .run();
      }
      KafkaBroker broker = new KafkaBroker(config, logDir, clientPort, deleteOnClose, securedPort, caPem);
      broker.startServer();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException("Kafka broker in " + logDir + " failed to start", e);
    } catch (Exception e) {
      throw new IllegalStateException("Kafka broker in " + logDir + " failed to start: " + e.getMessage(), e);
    }
  }

  private void startServer() throws InterruptedException, TimeoutException {
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    awaitReady(Duration.ofSeconds(60));
  }

  /**
   * Stops the broker (controlled shutdown), keeping its log directory: a broker outage. Clients see their
   * connections refused until {@link #restart()}.
   */
  @Override
  public synchronized void stop() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  /**
   * Starts the broker again after {@link #stop()}, on the same ports and log directory: topics, records and
   * committed offsets are kept.
   *
   * @throws IllegalStateException when it fails to start or is not ready within 60 s
   */
  @Override
  public synchronized void restart() {
    if (server == null) {
      try {
        startServer();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while restarting the Kafka broker on port " + port, e);
      } catch (TimeoutException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
  }

  private void awaitReady(Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = admin()) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          // not ready yet
        }
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("Kafka broker on port " + port + " not ready after " + timeout.toSeconds() + " s");
        }
        Thread.sleep(100);
      }
    }
  }

  /** @return {@code 127.0.0.1:<port>}, the value for {@code bootstrap.servers} */
  @Override
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /**
   * @return {@code 127.0.0.1:<port>} of the SASL_SSL listener (SCRAM-SHA-512)
   * @throws IllegalStateException for a broker started without it
   */
  public String securedBootstrapServers() {
    requireScram();
    return "127.0.0.1:" + securedPort;
  }

  /**
   * @return the PEM certificate that the SASL_SSL listener presents (self-signed, so it is its own CA): the value
   *     of KAFKA_SSL_TRUSTSTORE_CERTIFICATES, like Strimzi's {@code ca.crt}
   * @throws IllegalStateException for a broker started without the listener
   */
  public String caCertificatePem() {
    requireScram();
    return caCertificatePem;
  }

  /**
   * @param user user name
   * @param password password
   * @return the client's JAAS line for SCRAM, as Strimzi writes it into a KafkaUser's Secret
   *     ({@code sasl.jaas.config})
   */
  public static String scramJaasConfig(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
        + password + "\";";
  }

  /**
   * @param user user name
   * @param password password
   * @return Kafka client settings for the SASL_SSL listener as that user: bootstrap servers, SASL_SSL,
   *     SCRAM-SHA-512, the JAAS line and the listener's certificate as a PEM trust store
   * @throws IllegalStateException for a broker started without the listener
   */
  public Map<String, Object> scramClient(String user, String password) {
    return new java.util.HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, securedBootstrapServers(),
        "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", scramJaasConfig(user, password),
        "ssl.truststore.type", "PEM", "ssl.truststore.certificates", caCertificatePem));
  }

  /**
   * Creates (or changes) a SCRAM-SHA-512 user and waits until the SASL_SSL listener accepts its credentials.
   *
   * @param user user name; its principal is {@code User:<user>}, like a Strimzi KafkaUser's
   * @param password password
   * @throws IllegalStateException when the broker refuses it or the listener does not accept it within 30 s
   */
  public void addScramUser(String user, String password) {
    requireScram();
    try (Admin admin = admin()) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) { // credentials reach the broker through the metadata log
        try (Admin client = Admin.create(scramClient(user, password))) {
          client.describeCluster().nodes().get(10, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("SCRAM user " + user + " not accepted after 30 s: " + e.getCause(), e);
          }
          Thread.sleep(200);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while adding SCRAM user " + user, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot add SCRAM user " + user + ": " + e, e);
    }
  }

  private void requireScram() {
    if (securedPort == 0) {
      throw new IllegalStateException("this broker has no SASL_SSL listener: start it with startTemporaryWithScram()");
    }
  }

  @Override
  public String describe() {
    return "in-process KRaft broker " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + " at "
        + bootstrapServers();
  }

  /** @return the client port */
  public int port() {
    return port;
  }

  /** @return the broker's log directory */
  public Path logDir() {
    return logDir;
  }

  /**
   * Runs a broker in its own process until killed, for benchmarks and manual runs:
   * {@code java -cp ... dev.clickstream.testkit.KafkaBroker <logDir> <port> [topic:partitions ...]}.
   *
   * @param args log directory, client port, then topics to create
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: KafkaBroker <logDir> <port> [topic:partitions ...]");
      System.exit(2);
    }
    KafkaBroker broker = start(Path.of(args[0]), Integer.parseInt(args[1]), false);
    for (int i = 2; i < args.length; i++) {
      String[] topic = args[i].split(":");
      broker.createTopic(topic[0], topic.length > 1 ? Integer.parseInt(topic[1]) : 1);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-stop"));
    System.out.println("Kafka broker ready at " + broker.bootstrapServers());
    Thread.currentThread().join();
  }

  /** Stops the broker (controlled shutdown) and, for a temporary broker, deletes its log directory. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stop();
    if (deleteOnClose) {
      Directories.deleteRecursively(logDir);
      Directories.deleteRecursively(logDir.resolveSibling(logDir.getFileName() + "-tls"));
    }
  }
}
