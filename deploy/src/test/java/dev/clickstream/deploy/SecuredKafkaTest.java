package dev.clickstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clickstream.app.ClickstreamPipeline;
import dev.clickstream.producer.ProducerCli;
import dev.clickstream.testkit.Directories;
import dev.clickstream.testkit.DatabaseRoles;
import dev.clickstream.testkit.KafkaBroker;
import dev.clickstream.testkit.PostgresServer;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's Kafka security for real, on the test broker's SASL_SSL + SCRAM-SHA-512 listener with Kafka's
 * StandardAuthorizer: the users and ACLs are those of the rendered chart's KafkaUsers, the producer gets the
 * CronJob's environment and the pipeline the SparkApplication's (envVars, and envSecretKeyRefs resolved to the
 * broker's credentials and CA, as Strimzi's Secrets would). Both work with exactly those ACLs; each user is refused
 * what the other does; a wrong password ends both with one line; no password reaches a log line.
 */
class SecuredKafkaTest {
  private static final Map<String, String> PASSWORDS = new HashMap<>();
  private static KafkaBroker broker;
  private static PostgresServer postgres;
  private static Manifests chart;
  private static Path work;

  @BeforeAll
  static void start() throws Exception {
    chart = ChartTest.render(null);
    broker = KafkaBroker.startTemporaryWithScram();
    postgres = PostgresServer.startTemporary();
    work = Files.createTempDirectory("secured-kafka-");
    for (JsonNode topic : chart.ofKind("KafkaTopic")) {
      broker.createTopic(topic.path("spec").path("topicName").asText(), topic.path("spec").path("partitions").asInt(),
          new com.fasterxml.jackson.databind.ObjectMapper().convertValue(topic.path("spec").path("config"),
              new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {}));
    }
    List<AclBinding> bindings = new ArrayList<>();
    for (JsonNode user : chart.ofKind("KafkaUser")) {
      String name = user.path("metadata").path("name").asText();
      PASSWORDS.put(name, UUID.randomUUID().toString());
      broker.addScramUser(name, PASSWORDS.get(name));
      bindings.addAll(aclBindings(user));
    }
    try (Admin admin = broker.admin()) {
      admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
      // the authorizer applies them from the metadata log: wait until the broker answers with all of them
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY).values().get(10, TimeUnit.SECONDS).size()
          < bindings.size()) {
        assertThat(System.nanoTime()).as("ACLs visible within 30 s").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
    // the app's settings read spark.* system properties: no UI in a test
    System.setProperty("spark.ui.enabled", "false");
  }

  @AfterAll
  static void stop() {
    System.clearProperty("spark.ui.enabled");
    if (broker != null) {
      broker.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    if (work != null) {
      Directories.deleteRecursively(work);
    }
  }

  /** A Strimzi KafkaUser's {@code spec.authorization.acls} as Kafka ACL bindings of principal {@code User:<name>}. */
  static List<AclBinding> aclBindings(JsonNode user) {
    String principal = "User:" + user.path("metadata").path("name").asText();
    List<AclBinding> bindings = new ArrayList<>();
    for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
      JsonNode r = acl.path("resource");
      ResourcePattern pattern = new ResourcePattern(ResourceType.valueOf(snake(r.path("type").asText())),
          r.path("type").asText().equals("cluster") ? "kafka-cluster" : r.path("name").asText(),
          r.path("patternType").asText("literal").equals("prefix") ? PatternType.PREFIXED : PatternType.LITERAL);
      for (JsonNode op : acl.path("operations")) {
        bindings.add(new AclBinding(pattern, new AccessControlEntry(principal, acl.path("host").asText("*"),
            AclOperation.valueOf(snake(op.asText())),
            acl.path("type").asText("allow").equals("deny") ? AclPermissionType.DENY : AclPermissionType.ALLOW)));
      }
    }
    return bindings;
  }

  /** Strimzi's names (Read, DescribeConfigs, transactionalId) as Kafka's enum constants (READ, DESCRIBE_CONFIGS). */
  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  /** A Secret the chart references by name and key, as Strimzi or the chart would fill it here. */
  private static String secret(String name, String key, String user) {
    if (name.endsWith("-cluster-ca-cert") && key.equals("ca.crt")) {
      return broker.caCertificatePem();
    }
    if (key.equals("sasl.jaas.config")) {
      return KafkaBroker.scramJaasConfig(name, name.equals(user) ? PASSWORDS.get(name) : "wrong-" + PASSWORDS.get(name));
    }
    if (name.endsWith("-postgres") && key.matches("(owner|writer)-password")) {
      return "replaced-by-the-test-roles"; // see pipelineEnv
    }
    throw new AssertionError("the chart references a Secret this test does not know: " + name + "/" + key);
  }

  /** @return the chart's schema migrations Job (a hook: {@link ChartTest#renderHooks}) */
  private static JsonNode migrationsJob() {
    try {
      return ChartTest.renderHooks().one("Job");
    } catch (Exception e) {
      throw new IllegalStateException("cannot render the chart's hooks", e);
    }
  }

  /** The SparkApplication driver's environment, with this machine's addresses and paths and a new database. */
  private static Map<String, String> pipelineEnv(String passwordOf, String database) {
    String jdbcUrl = postgres.createDatabase(database);
    JsonNode driver = chart.one("SparkApplication").path("spec").path("driver");
    Map<String, String> env = new HashMap<>();
    driver.path("envVars").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    driver.path("envSecretKeyRefs").fields().forEachRemaining(e -> env.put(e.getKey(),
        secret(e.getValue().path("name").asText(), e.getValue().path("key").asText(), passwordOf)));
    env.put("KAFKA_BOOTSTRAP_SERVERS", broker.securedBootstrapServers());
    env.put("JDBC_URL", jdbcUrl);
    // the chart's roles, under names of this database's own (roles belong to the whole server)
    assertThat(env).containsKeys("DB_USER", "DB_PASSWORD").containsEntry("DB_MIGRATIONS", "verify")
        .doesNotContainKeys("DB_MIGRATION_USER", "DB_MIGRATION_PASSWORD");
    DatabaseRoles roles = DatabaseRoles.named(database);
    roles.createIn(postgres, database);
    env.put("DB_USER", roles.writer());
    env.put("DB_PASSWORD", roles.writerPassword());
    // what the chart's migrations Job does before the driver starts: the schema, as the owner
    assertThat(migrationsJob().path("spec").path("template").path("spec").path("containers").get(0).path("command")
        .toString()).contains(dev.clickstream.app.sink.SchemaMigrations.class.getName());
    dev.clickstream.app.sink.SchemaMigrations.migrate(new dev.clickstream.app.sink.DatabaseConfig(jdbcUrl, roles.owner(),
        roles.ownerPassword()), roles.writer(), java.time.Duration.ofSeconds(30));
    env.put("LAKE_PATH", work.resolve(database).resolve("lake").toString());
    env.put("CHECKPOINT_ROOT", work.resolve(database).resolve("checkpoints").toString());
    env.put("TRIGGER_INTERVAL", "available-now");
    env.put("METRICS_PORT", "0");
    env.put("SPARK_MASTER", "local[2]");
    return env;
  }

  /** The producer CronJob container's environment, Secrets resolved. */
  private static Map<String, String> producerEnv(String passwordOf) {
    CronJob cronJob = Manifests.strict(chart.one("CronJob"), CronJob.class);
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
      env.put(e.getName(), e.getValueFrom() == null ? e.getValue()
          : secret(e.getValueFrom().getSecretKeyRef().getName(), e.getValueFrom().getSecretKeyRef().getKey(), passwordOf));
    }
    env.put("KAFKA_BOOTSTRAP_SERVERS", broker.securedBootstrapServers());
    return env;
  }

  private static Map<String, Object> client(Map<String, String> env) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", env.get("KAFKA_BOOTSTRAP_SERVERS"));
    props.put("security.protocol", env.get("KAFKA_SECURITY_PROTOCOL"));
    props.put("sasl.mechanism", env.get("KAFKA_SASL_MECHANISM"));
    props.put("sasl.jaas.config", env.get("KAFKA_SASL_JAAS_CONFIG"));
    props.put("ssl.truststore.type", "PEM");
    props.put("ssl.truststore.certificates", env.get("KAFKA_SSL_TRUSTSTORE_CERTIFICATES"));
    props.put("max.block.ms", 20_000);
    props.put("default.api.timeout.ms", 20_000);
    return props;
  }

  record Run(int status, String stdout, String stderr) {}

  private static Run producer(Map<String, String> env, String... flags) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = ProducerCli.commandLine(env);
    cl.setOut(new java.io.PrintWriter(out));
    cl.setErr(new java.io.PrintWriter(err));
    List<String> args = new ArrayList<>(List.of("--bootstrap-servers", env.get("KAFKA_BOOTSTRAP_SERVERS"),
        "--security-protocol", env.get("KAFKA_SECURITY_PROTOCOL"), "--sasl-mechanism", env.get("KAFKA_SASL_MECHANISM"),
        "--connect-timeout", "20s"));
    args.addAll(List.of(flags));
    int status = cl.execute(args.toArray(String[]::new));
    return new Run(status, out.toString(), err.toString());
  }

  private static synchronized Run capturingStderr(Supplier<Integer> body) {
    PrintStream original = System.err;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      return new Run(body.get(), "", bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(original);
    }
  }

  /** Every log line of this JVM at INFO and above while {@code body} runs (Kafka's client config dumps included). */
  private static <T> T capturingLogs(List<String> lines, Supplier<T> body) {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    var appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        synchronized (lines) {
          lines.add(event.getMessage().getFormattedMessage()
              + (event.getThrown() == null ? "" : " " + stackTrace(event.getThrown())));
        }
      }
    };
    appender.start();
    Level before = context.getRootLogger().getLevel();
    context.getConfiguration().getRootLogger().addAppender(appender, Level.INFO, null);
    Configurator.setRootLevel(Level.INFO);
    try {
      return body.get();
    } finally {
      Configurator.setRootLevel(before);
      context.getConfiguration().getRootLogger().removeAppender("capture");
      context.updateLoggers();
    }
  }

  private static String stackTrace(Throwable t) {
    StringWriter s = new StringWriter();
    t.printStackTrace(new java.io.PrintWriter(s));
    return s.toString();
  }

  private static long records(String topic) throws Exception {
    try (Admin admin = broker.admin()) {
      var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
          .partitions().stream().map(p -> new TopicPartition(topic, p.partition()))
          .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
      return admin.listOffsets(partitions).all().get(10, TimeUnit.SECONDS).values().stream()
          .mapToLong(i -> i.offset()).sum();
    }
  }

  @Test
  void theProducerAndThePipelineRunWithTheChartsUsersAndEachIsRefusedTheOthersTopics() throws Exception {
    String database = "secured";
    Map<String, String> producerEnv = producerEnv("clickstream-producer");
    Map<String, String> pipelineEnv = pipelineEnv("clickstream-pipeline", database);
    assertThat(pipelineEnv).containsEntry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL").containsEntry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");

    List<String> logs = new ArrayList<>();
    Run produced = capturingLogs(logs, () -> producer(producerEnv, "--count", "600", "--rate", "0",
        "--malformed-every", "50", "--late-every", "0", "--seed", "7", "--topic", pipelineEnv.get("INPUT_TOPIC")));
    assertThat(produced.status()).as(produced.stderr()).isZero();
    assertThat(records(pipelineEnv.get("INPUT_TOPIC"))).isEqualTo(600);

    Run pipeline = capturingLogs(logs, () -> capturingStderr(() -> ClickstreamPipeline.run(new String[0], pipelineEnv)));
    assertThat(pipeline.status()).as(pipeline.stderr()).isZero();
    long enriched = records(pipelineEnv.get("ENRICHED_TOPIC"));
    long deadLetters = records(pipelineEnv.get("DLQ_TOPIC"));
    assertThat(deadLetters).as("every 50th record is malformed").isEqualTo(12);
    assertThat(enriched + deadLetters).as("every record read and written once").isEqualTo(600);
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD);
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM page_view_counts")) {
      rs.next();
      assertThat(rs.getLong(1)).as("the lake queries ran too").isPositive();
    }

    // no password in any log line of the run (Kafka prints its client configurations at INFO, Spark its plans)
    assertThat(logs).as("log lines captured").hasSizeGreaterThan(50)
        .anyMatch(l -> l.contains("sasl.jaas.config = [hidden]"));
    for (String password : PASSWORDS.values()) {
      assertThat(logs).noneMatch(l -> l.contains(password));
      assertThat(pipeline.stderr() + produced.stderr() + produced.stdout()).doesNotContain(password);
    }

    // least privilege: the producer may not write the pipeline's outputs or read its own topic back;
    // the pipeline may not write its input
    Map<String, Object> producerClient = client(producerEnv);
    try (var p = new KafkaProducer<>(producerClient, new StringSerializer(), new StringSerializer())) {
      assertThatThrownBy(() -> p.send(new ProducerRecord<>(pipelineEnv.get("ENRICHED_TOPIC"), "k", "v")).get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
    }
    Map<String, Object> consumer = new HashMap<>(producerClient);
    consumer.put("group.id", "intruder");
    try (var c = new KafkaConsumer<>(consumer, new StringDeserializer(), new StringDeserializer())) {
      c.assign(List.of(new TopicPartition(pipelineEnv.get("INPUT_TOPIC"), 0)));
      c.seekToBeginning(c.assignment());
      assertThatThrownBy(() -> c.poll(Duration.ofSeconds(10))).isInstanceOf(TopicAuthorizationException.class);
    }
    try (var p = new KafkaProducer<>(client(pipelineEnv), new StringSerializer(), new StringSerializer())) {
      assertThatThrownBy(() -> p.send(new ProducerRecord<>(pipelineEnv.get("INPUT_TOPIC"), "k", "v")).get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
    }
  }

  @Test
  void aWrongPasswordOrMissingAclsEndThePipelineAndTheProducerWithOneLineNamingTheServersAndTheMechanism() {
    String servers = broker.securedBootstrapServers();
    long start = System.nanoTime();
    Run pipeline = capturingStderr(() -> ClickstreamPipeline.run(new String[0], pipelineEnv("nobody", "wrong_password")));
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertThat(pipeline.status()).as(pipeline.stderr()).isEqualTo(2);
    assertThat(pipeline.stderr().strip().lines().toList()).singleElement().asString()
        .startsWith("clickstream: kafka at " + servers + " (SASL_SSL, SCRAM-SHA-512) refused this client: ")
        .contains("Authentication failed");
    assertThat(seconds).as("refused at once, not after the 60 s an unreachable broker gets").isLessThan(60);

    // the right password of a user whose ACLs do not cover the pipeline's topics
    Map<String, String> asProducer = pipelineEnv("clickstream-pipeline", "as_producer");
    asProducer.put("KAFKA_SASL_JAAS_CONFIG", KafkaBroker.scramJaasConfig("clickstream-producer", PASSWORDS.get("clickstream-producer")));
    Run denied = capturingStderr(() -> ClickstreamPipeline.run(new String[0], asProducer));
    assertThat(denied.status()).as(denied.stderr()).isEqualTo(2);
    assertThat(denied.stderr().strip().lines().toList()).containsExactly("clickstream: kafka at " + servers
        + " (SASL_SSL, SCRAM-SHA-512) does not let this user describe topic(s) enriched_activity, user_activity_dlq: "
        + "its ACLs must allow Read on the input topic and Write on the enriched and dead-letter topics");

    Run producer = producer(producerEnv("nobody"), "--count", "10");
    assertThat(producer.status()).isEqualTo(1);
    assertThat(producer.stderr().strip().lines().filter(l -> l.startsWith("clickstream-producer:")).toList()).singleElement()
        .asString().startsWith("clickstream-producer: Kafka at " + servers + " (SASL_SSL, SCRAM-SHA-512) refused this client: ");
    for (String password : PASSWORDS.values()) {
      assertThat(pipeline.stderr() + producer.stderr()).doesNotContain(password);
    }
  }
}
