package dev.clickstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The Helm chart, rendered with helm-java (the Helm library, no binary) and checked as the API server would. */
class ChartTest {
  static final Path CHART = Path.of("..", "helm", "clickstream");
  static final Path PRODUCTION_VALUES = Path.of("src", "test", "resources", "production-values.yaml");
  static final Path CRDS = Path.of("..", "..", "shared", "reference", "crds");

  private static FakeKubeApi api;

  /** The fake API server that answers the chart's lookup, one per test JVM. */
  static synchronized FakeKubeApi api() throws java.io.IOException {
    if (api == null) {
      api = new FakeKubeApi();
      Runtime.getRuntime().addShutdownHook(new Thread(api::close));
    }
    return api;
  }

  /**
   * Renders the chart as release "clickstream" in namespace "clickstream", its lookup answered by the fake API.
   *
   * @param valuesFile a values file, or null for the chart's defaults
   * @param keyValues {@code --set} pairs: key, value, key, value, ...
   */
  static Manifests render(Path valuesFile, String... keyValues) throws Exception {
    return Manifests.parse(renderText(valuesFile, keyValues));
  }

  /** {@link #render}, as the text Helm prints. */
  static String renderText(Path valuesFile, String... keyValues) throws Exception {
    return renderText(CHART, valuesFile, keyValues);
  }

  /**
   * The chart's Helm hooks (the schema migrations Job) as the objects Helm creates: helm-java's template returns the
   * release's manifest, which leaves hooks out, so a copy of the chart without its {@code helm.sh/hook*} annotation
   * lines is rendered, and its objects that the chart itself renders as hooks are returned.
   *
   * @param keyValues {@code --set} pairs over the chart's defaults
   */
  static Manifests renderHooks(String... keyValues) throws Exception {
    Path copy = Path.of("target", "chart-without-hook-annotations");
    dev.clickstream.testkit.Directories.deleteRecursively(copy);
    List<String> hookTemplates = new ArrayList<>();
    try (var files = java.nio.file.Files.walk(CHART)) {
      for (Path f : files.toList()) {
        Path to = copy.resolve(CHART.relativize(f).toString());
        if (java.nio.file.Files.isDirectory(f)) {
          java.nio.file.Files.createDirectories(to);
          continue;
        }
        String text = java.nio.file.Files.readString(f);
        if (text.contains("helm.sh/hook:")) {
          hookTemplates.add(f.getFileName().toString());
          text = text.replaceAll("(?m)^\\s*helm\\.sh/hook[-a-z]*: .*\\n", "");
        }
        java.nio.file.Files.writeString(to, text);
      }
    }
    assertThat(hookTemplates).as("the chart's hooks").containsExactly("schema-migrations-job.yaml");
    // the hook's objects: those the chart's own render leaves out (JSON is YAML)
    return Manifests.parse(Manifests.parse(renderText(copy, null, keyValues)).ofKind("Job").stream()
        .map(JsonNode::toString).collect(Collectors.joining("\n---\n")));
  }

  private static String renderText(Path chart, Path valuesFile, String... keyValues) throws Exception {
    api();
    var template = new Helm(chart).template().withName("clickstream").withNamespace("clickstream");
    if (valuesFile != null) {
      template = template.withValuesFile(valuesFile);
    }
    for (int i = 0; i < keyValues.length; i += 2) {
      template = template.set(keyValues[i], keyValues[i + 1]);
    }
    return template.call();
  }

  /** @param keyValues {@code --set} pairs over the chart's defaults: key, value, key, value, ... */
  static Manifests renderWith(String... keyValues) throws Exception {
    return render(null, keyValues);
  }

  @Test
  void lintPassesStrictly() {
    var result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @ParameterizedTest(name = "values: {0}")
  @ValueSource(strings = {"default", "production"})
  void everyRenderedObjectParsesStrictly(String values) throws Exception {
    Manifests m = render(values.equals("default") ? null : PRODUCTION_VALUES);
    Map<String, Class<?>> models = Map.ofEntries(
        Map.entry("ServiceAccount", ServiceAccount.class), Map.entry("Service", Service.class),
        Map.entry("Secret", Secret.class), Map.entry("PersistentVolumeClaim", PersistentVolumeClaim.class),
        Map.entry("StatefulSet", StatefulSet.class), Map.entry("CronJob", CronJob.class), Map.entry("Role", Role.class),
        Map.entry("RoleBinding", RoleBinding.class), Map.entry("ConfigMap", ConfigMap.class),
        Map.entry("NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class),
        Map.entry("Job", io.fabric8.kubernetes.api.model.batch.v1.Job.class),
        Map.entry("ValidatingAdmissionPolicy",
            io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class),
        Map.entry("ValidatingAdmissionPolicyBinding",
            io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding.class));
    Set<String> kinds = m.documents.stream().map(d -> d.path("kind").asText()).collect(Collectors.toSet());
    for (JsonNode hook : renderHooks().documents) {
      Manifests.strict(hook, models.get(hook.path("kind").asText()));
    }
    Set<String> expected = new java.util.HashSet<>(Set.of("ServiceAccount", "Service", "Secret", "PersistentVolumeClaim",
        "StatefulSet", "CronJob", "Role", "RoleBinding", "Kafka", "KafkaNodePool", "KafkaTopic", "SparkApplication", "ConfigMap",
        "KafkaUser", "NetworkPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"));
    if (values.equals("production")) { // prometheusOperator: always; postgres.existingSecret
      expected.addAll(Set.of("ServiceMonitor", "PodMonitor", "PrometheusRule"));
      expected.remove("Secret");
    }
    assertThat(kinds).containsExactlyInAnyOrderElementsOf(expected);
    for (JsonNode doc : m.documents) {
      String kind = doc.path("kind").asText();
      if (models.containsKey(kind)) {
        Manifests.strict(doc, models.get(kind));
      }
      assertThat(doc.path("metadata").path("labels").path("app.kubernetes.io/name").asText()).as(kind).isEqualTo("clickstream");
    }
  }

  /**
   * Custom resources against the published openAPIV3 schemas of the pinned operators (../shared/reference/crds):
   * types, enums, required fields, and no field the CRD does not define. Strimzi's io.strimzi:api 1.2.0 model
   * classes are compiled for Java 21, so on Java 17 the CRD schemas are the check for Kafka resources too.
   */
  @ParameterizedTest(name = "{0} with {1} values")
  @CsvSource({
      "SparkApplication, default, sparkapplication-sparkoperator.k8s.io-v1beta2.json",
      "SparkApplication, production, sparkapplication-sparkoperator.k8s.io-v1beta2.json",
      "Kafka, default, kafka-kafka.strimzi.io-v1.json",
      "Kafka, production, kafka-kafka.strimzi.io-v1.json",
      "KafkaNodePool, default, kafkanodepool-kafka.strimzi.io-v1.json",
      "KafkaNodePool, production, kafkanodepool-kafka.strimzi.io-v1.json",
      "KafkaTopic, default, kafkatopic-kafka.strimzi.io-v1.json",
      "KafkaUser, default, kafkauser-kafka.strimzi.io-v1.json",
      "ServiceMonitor, production, servicemonitor-monitoring.coreos.com-v1.json",
      "PodMonitor, production, podmonitor-monitoring.coreos.com-v1.json",
      "PrometheusRule, production, prometheusrule-monitoring.coreos.com-v1.json",
  })
  void customResourcesMatchThePublishedCrdSchemas(String kind, String values, String file) throws Exception {
    Path crd = CRDS.resolve(file);
    Assumptions.assumeTrue(Files.exists(crd), "no CRD schema at " + crd.toAbsolutePath() + ": " + kind + " schema check skipped");
    JsonNode schema = new ObjectMapper().readTree(crd.toFile()).path("openAPIV3Schema");
    var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
    List<JsonNode> resources = render(values.equals("default") ? null : PRODUCTION_VALUES).ofKind(kind);
    assertThat(resources).isNotEmpty();
    for (JsonNode resource : resources) {
      Set<ValidationMessage> errors = validator.validate(resource);
      assertThat(errors).as("schema violations of %s", kind).isEmpty();
      List<String> unknown = new ArrayList<>();
      unknownFields(schema, resource, "", unknown);
      assertThat(unknown).as("fields the %s CRD does not define", kind).isEmpty();
    }
  }

  /** CRD schemas prune unknown fields silently; a field the schema does not define is a mistake in the chart. */
  private static void unknownFields(JsonNode schema, JsonNode value, String path, List<String> unknown) {
    if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
      return;
    }
    if (value.isObject()) {
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        var field = it.next();
        if (props.has(field.getKey())) {
          unknownFields(props.get(field.getKey()), field.getValue(), path + "." + field.getKey(), unknown);
        } else if (additional.isObject()) {
          unknownFields(additional, field.getValue(), path + "." + field.getKey(), unknown);
        } else if (!props.isMissingNode() || !additional.asBoolean(true)) {
          unknown.add(path + "." + field.getKey());
        }
      }
    } else if (value.isArray() && schema.has("items")) {
      for (int i = 0; i < value.size(); i++) {
        unknownFields(schema.get("items"), value.get(i), path + "[" + i + "]", unknown);
      }
    }
  }

  @Test
  void theApplicationReachesKafkaTopicsPostgresAndTheSharedClaim() throws Exception {
    Manifests m = render(null);
    JsonNode app = m.one("SparkApplication").path("spec");
    JsonNode env = app.path("driver").path("envVars");
    String cluster = m.one("Kafka").path("metadata").path("name").asText();
    // the clients' listener: TLS + SCRAM on 9093 (ChartSecurityTest)
    assertThat(env.path("KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo(cluster + "-kafka-bootstrap:9093");
    assertThat(m.one("Kafka").path("spec").path("kafka").path("listeners").findValuesAsText("port")).containsExactly("9093");
    Set<String> topics = m.ofKind("KafkaTopic").stream().map(t -> t.path("spec").path("topicName").asText()).collect(Collectors.toSet());
    assertThat(topics).containsExactlyInAnyOrder("user_activity", "enriched_activity", "user_activity_dlq");
    assertThat(Set.of(env.path("INPUT_TOPIC").asText(), env.path("ENRICHED_TOPIC").asText(), env.path("DLQ_TOPIC").asText()))
        .isEqualTo(topics);
    assertThat(m.ofKind("KafkaTopic")).allSatisfy(t -> assertThat(t.path("metadata").path("name").asText()).matches("[a-z0-9-]+"));
    // a dead letter carries a whole input record plus headers: its topic takes what the pipeline's producer may send
    Map<String, Long> maxBytes = m.ofKind("KafkaTopic").stream().collect(Collectors.toMap(
        t -> t.path("spec").path("topicName").asText(), t -> t.path("spec").path("config").path("max.message.bytes").asLong()));
    assertThat(maxBytes).containsEntry("user_activity", (long) dev.clickstream.app.sink.IngestSink.INPUT_MAX_MESSAGE_BYTES)
        .containsEntry("user_activity_dlq", (long) dev.clickstream.app.sink.IngestSink.DEAD_LETTER_MAX_MESSAGE_BYTES);
    assertThat(m.ofKind("KafkaTopic").stream().filter(t -> t.path("spec").path("topicName").asText().equals("user_activity"))
        .findFirst().orElseThrow().path("spec").path("partitions").asInt()).isEqualTo(4);

    // the same claim on driver and executors, with checkpoints and lake below the mount path
    JsonNode conf = app.path("sparkConf");
    String claim = m.one("PersistentVolumeClaim").path("metadata").path("name").asText();
    String mount = conf.path("spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path").asText();
    assertThat(conf.path("spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName").asText()).isEqualTo(claim);
    assertThat(conf.path("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName").asText()).isEqualTo(claim);
    assertThat(conf.path("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path").asText()).isEqualTo(mount);
    assertThat(env.path("CHECKPOINT_ROOT").asText()).startsWith(mount + "/");
    assertThat(env.path("LAKE_PATH").asText()).startsWith(mount + "/");
    // the lake is a Delta table: Delta's extension and catalog, as in the application's own session defaults
    assertThat(conf.path("spark.sql.extensions").asText()).isEqualTo("io.delta.sql.DeltaSparkSessionExtension");
    assertThat(conf.path("spark.sql.catalog.spark_catalog").asText()).isEqualTo("org.apache.spark.sql.delta.catalog.DeltaCatalog");
    assertThat(env.path("LAKE_TRIGGER_INTERVAL").asText()).isEqualTo("1 minute");
    assertThat(env.path("LAKE_VACUUM_RETENTION").asText()).isEqualTo("7 days");
    assertThat(env.path("LAKE_MAINTENANCE_INTERVAL").asText()).isEqualTo("1 hour");
    assertThat(env.path("MAX_EVENT_TIME_SKEW").asText()).isEqualTo("1 minute");
    assertThat(env.path("DB_RETRY_TIMEOUT").asText()).isEqualTo("5 minutes");
    assertThat(env.path("STOP_TIMEOUT").asText()).isEqualTo("20 seconds");

    // Postgres: the URL names the ClusterIP service; the password comes from the Secret, never inline
    Service pgService = m.ofKind("Service").stream().map(s -> Manifests.strict(s, Service.class))
        .filter(s -> s.getMetadata().getName().contains("postgres") && !"None".equals(s.getSpec().getClusterIP()))
        .findFirst().orElseThrow();
    assertThat(env.path("JDBC_URL").asText()).isEqualTo("jdbc:postgresql://" + pgService.getMetadata().getName() + ":5432/clickstream");
    // the sinks sign in as the writer role, its password from the Secret; the driver never holds the owner's
    // password: the migrations Job (a Helm hook) applies the schema as the owner, the driver verifies the tables
    Secret secret = Manifests.strict(m.one("Secret"), Secret.class);
    assertThat(env.path("DB_USER").asText()).isEqualTo("clickstream");
    assertThat(env.path("DB_MIGRATIONS").asText()).isEqualTo("verify");
    JsonNode refs = app.path("driver").path("envSecretKeyRefs");
    assertThat(refs.path("DB_PASSWORD").path("name").asText()).isEqualTo(secret.getMetadata().getName());
    assertThat(refs.path("DB_PASSWORD").path("key").asText()).isEqualTo("writer-password");
    assertThat(secret.getData()).containsOnlyKeys("superuser-password", "owner-password", "writer-password", "reader-password");
    assertThat(env.has("DB_PASSWORD")).isFalse();
    assertThat(env.has("DB_MIGRATION_USER") || refs.has("DB_MIGRATION_PASSWORD") || env.has("DB_MIGRATION_PASSWORD"))
        .as("no owner role in the driver").isFalse();
    assertThat(m.ofKind("Job")).as("a hook, not a release object").isEmpty();
    io.fabric8.kubernetes.api.model.batch.v1.Job migrations = Manifests.strict(renderHooks().one("Job"),
        io.fabric8.kubernetes.api.model.batch.v1.Job.class);
    assertThat(java.nio.file.Files.readString(CHART.resolve("templates/schema-migrations-job.yaml")))
        .contains("helm.sh/hook: post-install,pre-upgrade");
    io.fabric8.kubernetes.api.model.Container migrate = migrations.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(migrate.getCommand()).last().isEqualTo(dev.clickstream.app.sink.SchemaMigrations.class.getName());
    Map<String, io.fabric8.kubernetes.api.model.EnvVar> jobEnv = migrate.getEnv().stream()
        .collect(Collectors.toMap(io.fabric8.kubernetes.api.model.EnvVar::getName, e -> e));
    assertThat(jobEnv.get("DB_MIGRATION_USER").getValue()).isEqualTo("clickstream_owner");
    assertThat(jobEnv.get("DB_USER").getValue()).isEqualTo("clickstream");
    assertThat(jobEnv.get("JDBC_URL").getValue()).isEqualTo(env.path("JDBC_URL").asText());
    assertThat(jobEnv.get("DB_MIGRATION_PASSWORD").getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret.getMetadata().getName());
    assertThat(jobEnv.get("DB_MIGRATION_PASSWORD").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("owner-password");
    StatefulSet pg = Manifests.strict(m.one("StatefulSet"), StatefulSet.class);
    assertThat(pg.getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe().getExec().getCommand())
        .anyMatch(c -> c.contains("pg_isready"));
    assertThat(pg.getSpec().getVolumeClaimTemplates()).hasSize(1);

    // the driver may be deleted: the operator brings it back
    assertThat(app.path("restartPolicy").path("type").asText()).isIn("Always", "OnFailure");
    assertThat(app.path("driver").path("serviceAccount").asText()).isEqualTo("clickstream-spark-driver");
    assertThat(m.ofKind("ServiceAccount")).extracting(a -> a.path("metadata").path("name").asText())
        .contains("clickstream-spark-driver", "clickstream-spark-executor");

    CronJob producer = Manifests.strict(m.one("CronJob"), CronJob.class);
    assertThat(producer.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    var container = producer.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getEnv()).anySatisfy(e -> assertThat(e.getValue()).isEqualTo(cluster + "-kafka-bootstrap:9093"));
    assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
    // every producer value reaches a flag of the CLI
    assertThat(container.getArgs()).contains("--duplicate-every=0", "--batch-size=0", "--malformed-every=200", "--late-every=50",
        "--products=300", "--currency=EUR");
  }

  @Test
  void monitoringScrapesTheDriverAndKafkaAndShipsTheRulesAndTheDashboard() throws Exception {
    // default values: no prometheus-operator API where `helm template` looks, so none of its objects
    Manifests plain = render(null);
    assertThat(plain.documents).noneMatch(d -> d.path("apiVersion").asText().startsWith("monitoring.coreos.com/"));
    JsonNode app = plain.one("SparkApplication");
    Service metrics = plain.ofKind("Service").stream().map(s -> Manifests.strict(s, Service.class))
        .filter(s -> s.getMetadata().getName().endsWith("-pipeline-metrics")).findFirst().orElseThrow();
    // the driver pod carries the operator's app-name label and Spark's role label (spark-operator v2.5.2 submission.go)
    assertThat(metrics.getSpec().getSelector()).containsEntry("sparkoperator.k8s.io/app-name", app.path("metadata").path("name").asText())
        .containsEntry("spark-role", "driver");
    String port = app.path("spec").path("driver").path("envVars").path("METRICS_PORT").asText();
    assertThat(metrics.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("metrics");
      assertThat(String.valueOf(p.getTargetPort().getIntVal())).isEqualTo(port).isEqualTo("9464");
    });
    JsonNode kafka = plain.one("Kafka").path("spec");
    assertThat(kafka.path("kafka").path("metricsConfig").path("type").asText()).isEqualTo("strimziMetricsReporter");
    assertThat(kafka.has("kafkaExporter")).isTrue();
    ConfigMap dashboard = plain.ofKind("ConfigMap").stream().map(c -> Manifests.strict(c, ConfigMap.class))
        .filter(c -> c.getData().containsKey("clickstream-pipeline.json")).findFirst().orElseThrow();
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    ObjectMapper json = new ObjectMapper();
    assertThat(json.readTree(dashboard.getData().get("clickstream-pipeline.json")))
        .isEqualTo(json.readTree(CHART.resolve("files/grafana-dashboard.json").toFile()));

    // rendered for a prometheus-operator: the ServiceMonitor finds the Service, the rule file is the PrometheusRule
    Manifests operator = render(PRODUCTION_VALUES);
    JsonNode monitor = operator.one("ServiceMonitor").path("spec");
    Service production = operator.ofKind("Service").stream().map(s -> Manifests.strict(s, Service.class))
        .filter(s -> s.getMetadata().getName().endsWith("-pipeline-metrics")).findFirst().orElseThrow();
    monitor.path("selector").path("matchLabels").fields().forEachRemaining(
        e -> assertThat(production.getMetadata().getLabels()).containsEntry(e.getKey(), e.getValue().asText()));
    assertThat(monitor.path("endpoints").get(0).path("port").asText()).isEqualTo("metrics");
    assertThat(monitor.path("endpoints").get(0).path("interval").asText()).isEqualTo("15s");
    assertThat(operator.one("ServiceMonitor").path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus-stack");
    assertThat(operator.one("PodMonitor").path("spec").path("selector").path("matchLabels").path("strimzi.io/cluster").asText())
        .isEqualTo(operator.one("Kafka").path("metadata").path("name").asText());
    assertThat(operator.one("PrometheusRule").path("spec"))
        .isEqualTo(Manifests.YAML.readTree(CHART.resolve("files/prometheus-rules.yaml").toFile()));

    // switched off
    Manifests off = Manifests.parse(new Helm(CHART).template().withName("clickstream").withNamespace("clickstream")
        .set("monitoring.metricsPort", "0").set("monitoring.kafkaMetrics", "false").set("monitoring.dashboard", "false")
        .set("monitoring.prometheusOperator", "always").set("monitoring.alerts", "false").call());
    assertThat(off.ofKind("Service")).noneMatch(s -> s.path("metadata").path("name").asText().endsWith("-pipeline-metrics"));
    assertThat(off.documents).noneMatch(d -> d.path("kind").asText().matches("ServiceMonitor|PodMonitor|PrometheusRule"));
    assertThat(off.ofKind("ConfigMap")).as("only Postgres' init script").extracting(c -> c.path("metadata").path("name").asText())
        .containsExactly("clickstream-postgres-init");
    assertThat(off.one("Kafka").path("spec").has("kafkaExporter")).isFalse();
    assertThat(off.one("SparkApplication").path("spec").path("driver").path("envVars").path("METRICS_PORT").asText()).isEqualTo("0");
  }

  @Test
  void podsRequestLessThanACoreAndShufflePartitionsFollowTheExecutors() throws Exception {
    JsonNode conf = render(null).one("SparkApplication").path("spec").path("sparkConf");
    assertThat(conf.path("spark.kubernetes.driver.request.cores").asText()).isEqualTo("500m");
    assertThat(conf.path("spark.kubernetes.executor.request.cores").asText()).isEqualTo("500m");
    assertThat(conf.path("spark.sql.shuffle.partitions").asText())
        .as("2 x (6 slots - 4 held by real-time ingest)").isEqualTo("4");
    api();
    JsonNode bigger = Manifests.parse(new Helm(CHART).template().withName("clickstream").withNamespace("clickstream")
        .set("app.executor.instances", "3").set("app.executor.cores", "2").set("app.ingestMode", "micro-batch").call())
        .one("SparkApplication");
    assertThat(bigger.path("spec").path("sparkConf").path("spark.sql.shuffle.partitions").asText()).isEqualTo("12");
  }

  /**
   * The default executors have a task slot for every input partition plus the two the other queries need, so the
   * application's INGEST_MODE default (IngestMode.choose, by the same arithmetic from the same Spark settings) is
   * real-time; asking for real-time without them fails the render, naming the values.
   */
  @Test
  void theDefaultExecutorsRunIngestInRealTimeModeAndTooFewSlotsFailTheRender() throws Exception {
    JsonNode app = render(null).one("SparkApplication").path("spec");
    Map<String, String> conf = new java.util.HashMap<>();
    app.path("sparkConf").fields().forEachRemaining(e -> conf.put(e.getKey(), e.getValue().asText()));
    conf.put("spark.master", "k8s://https://kubernetes.default.svc");
    conf.put("spark.executor.instances", app.path("executor").path("instances").asText());
    conf.put("spark.executor.cores", app.path("executor").path("cores").asText());
    int partitions = render(null).ofKind("KafkaTopic").stream()
        .filter(t -> t.path("spec").path("topicName").asText().equals("user_activity"))
        .findFirst().orElseThrow().path("spec").path("partitions").asInt();
    assertThat(app.path("driver").path("envVars").has("INGEST_MODE")).as("auto: chosen at start").isFalse();
    assertThat(app.path("driver").path("envVars").path("REAL_TIME_BATCH_DURATION").asText()).isEqualTo("5 seconds");
    assertThat(app.path("driver").path("envVars").path("REAL_TIME_FETCH_WAIT").asText()).isEqualTo("0 ms");
    var choice = dev.clickstream.app.config.IngestMode.choose(java.util.Optional.empty(),
        dev.clickstream.app.config.IngestMode.taskSlots(conf, 1), partitions,
        dev.clickstream.app.config.IngestMode.OTHER_QUERIES_SLOTS);
    assertThat(choice.mode()).as(choice.reason()).isEqualTo(dev.clickstream.app.config.IngestMode.REAL_TIME);

    api();
    assertThatThrownBy(() -> new Helm(CHART).template().withName("clickstream").set("app.ingestMode", "real-time")
        .set("app.executor.cores", "5").call())
        .hasMessageContaining("app.ingestMode real-time needs executor.instances x executor.cores >= "
            + "kafka.topics.input.partitions + 2 = 6 task slots (one per input partition, 2 for the other queries); "
            + "app.executor gives 5");
    JsonNode micro = Manifests.parse(new Helm(CHART).template().withName("clickstream").withNamespace("clickstream")
        .set("app.ingestMode", "micro-batch").set("app.executor.cores", "1").call()).one("SparkApplication");
    assertThat(micro.path("spec").path("driver").path("envVars").path("INGEST_MODE").asText()).isEqualTo("micro-batch");
  }

  /**
   * With concurrencyPolicy Forbid a tick that finds the last run still going is skipped: a whole period without
   * events. Each run must end before the next tick, allowing ~15 s for scheduling the pod and starting the JVM,
   * and the pause between runs must stay that short.
   */
  @Test
  void aProducerRunEndsBeforeTheNextTickAndThePauseIsShort() throws Exception {
    CronJob producer = Manifests.strict(render(null).one("CronJob"), CronJob.class);
    String schedule = producer.getSpec().getSchedule();
    java.util.regex.Matcher every = java.util.regex.Pattern.compile("^(\\*|\\*/(\\d+)) \\* \\* \\* \\*$").matcher(schedule);
    assertThat(every.matches()).as("an every-N-minutes schedule: %s", schedule).isTrue();
    long periodSeconds = 60L * (every.group(2) == null ? 1 : Long.parseLong(every.group(2)));
    String durationFlag = producer.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0)
        .getArgs().stream().filter(a -> a.startsWith("--duration=")).findFirst().orElseThrow();
    long durationSeconds = java.time.Duration.parse("PT" + durationFlag.substring("--duration=".length()).toUpperCase()).toSeconds();
    assertThat(periodSeconds - durationSeconds).as("room for pod start and JVM start, and the pause between runs")
        .isBetween(10L, 20L);
    assertThat(producer.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
  }

  @Test
  void anEmptyStorageClassMeansNoClassAndNullTheDefault() throws Exception {
    Manifests defaults = render(null);
    assertThat(Manifests.strict(defaults.one("PersistentVolumeClaim"), PersistentVolumeClaim.class).getSpec().getStorageClassName())
        .isEqualTo("clickstream-hostpath");
    assertThat(Manifests.strict(defaults.one("StatefulSet"), StatefulSet.class).getSpec().getVolumeClaimTemplates().get(0)
        .getSpec().getStorageClassName()).as("the cluster's default class").isNull();
    assertThat(defaults.ofKind("KafkaNodePool").get(0).path("spec").path("storage").has("class")).isFalse();
    api();
    Manifests empty = Manifests.parse(new Helm(CHART).template().withName("clickstream").withNamespace("clickstream")
        .set("storage.storageClass", "").set("postgres.storage.storageClass", "").call());
    assertThat(Manifests.strict(empty.one("PersistentVolumeClaim"), PersistentVolumeClaim.class).getSpec().getStorageClassName())
        .as("no class: binds a pre-created volume").isEqualTo("");
    assertThat(Manifests.strict(empty.one("StatefulSet"), StatefulSet.class).getSpec().getVolumeClaimTemplates().get(0)
        .getSpec().getStorageClassName()).isEqualTo("");
  }

  @Test
  void onFailureNeedsItsRetriesAndAlwaysIsTheDefault() throws Exception {
    assertThat(render(null).one("SparkApplication").path("spec").path("restartPolicy").path("type").asText()).isEqualTo("Always");
    api();
    assertThatThrownBy(() -> new Helm(CHART).template().withName("clickstream").set("app.restartPolicy.type", "OnFailure").call())
        .hasMessageContaining("onFailureRetries");
    JsonNode policy = Manifests.parse(new Helm(CHART).template().withName("clickstream").withNamespace("clickstream")
        .set("app.restartPolicy.type", "OnFailure").set("app.restartPolicy.onFailureRetries", "5")
        .set("app.restartPolicy.onSubmissionFailureRetries", "3").call()).one("SparkApplication").path("spec").path("restartPolicy");
    assertThat(policy.path("onFailureRetries").asInt()).isEqualTo(5);
  }

  @Test
  void onKindTheClaimBindsToTheHostPathVolume() throws Exception {
    var pv = Manifests.strict(Manifests.YAML.readTree(Path.of("..", "k8s", "data-pv.yaml").toFile()),
        io.fabric8.kubernetes.api.model.PersistentVolume.class);
    PersistentVolumeClaim claim = Manifests.strict(render(null).one("PersistentVolumeClaim"), PersistentVolumeClaim.class);
    assertThat(claim.getSpec().getStorageClassName()).isEqualTo(pv.getSpec().getStorageClassName());
    assertThat(pv.getSpec().getAccessModes()).containsAll(claim.getSpec().getAccessModes());
    assertThat(pv.getSpec().getCapacity().get("storage").getNumericalAmount())
        .isGreaterThanOrEqualTo(claim.getSpec().getResources().getRequests().get("storage").getNumericalAmount());
  }

  @Test
  void theGeneratedPasswordsAreRandomOnInstallAndKeptOnUpgrade() throws Exception {
    FakeKubeApi api = api();
    api.clear();
    JsonNode installed = render(null).one("Secret");
    JsonNode again = render(null).one("Secret");
    List<String> keys = List.of("superuser-password", "owner-password", "writer-password", "reader-password");
    Set<String> passwords = new java.util.HashSet<>();
    for (String key : keys) {
      String first = installed.path("data").path(key).asText();
      assertThat(first).as(key).isNotBlank().isNotEqualTo(again.path("data").path(key).asText());
      passwords.add(first);
    }
    assertThat(passwords).as("a password per role").hasSize(4);

    // an upgrade: the Secret exists in the cluster, and every password stays
    ObjectMapper json = new ObjectMapper();
    api.putSecret("clickstream", installed.path("metadata").path("name").asText(), json.writeValueAsString(
        json.createObjectNode().put("apiVersion", "v1").put("kind", "Secret")
            .<com.fasterxml.jackson.databind.node.ObjectNode>set("metadata", json.createObjectNode()
                .put("name", installed.path("metadata").path("name").asText()).put("namespace", "clickstream"))
            .set("data", installed.path("data"))));
    try {
      assertThat(render(null).one("Secret").path("data")).isEqualTo(installed.path("data"));
    } finally {
      api.clear();
    }
  }

  @Test
  void anExistingSecretMakesRenderingDeterministicAndEveryReferenceUsesIt() throws Exception {
    String[] values = {"postgres.existingSecret", "shop-db-passwords", "recompute.from", "2026-11-23T12:00:00Z",
        "recompute.to", "2026-11-23T13:00:00Z"};
    String first = renderText(null, values);
    assertThat(renderText(null, values)).as("no random value, no lookup: two renders are the same").isEqualTo(first);
    Manifests m = Manifests.parse(first);
    assertThat(m.ofKind("Secret")).as("the chart renders no Secret of its own").isEmpty();
    List<String> refs = new ArrayList<>();
    java.util.regex.Matcher names = java.util.regex.Pattern.compile("(?m)^\\s+name: (\\S+)\\n\\s+key: (\\S+-password)$")
        .matcher(first);
    while (names.find()) {
      refs.add(names.group(1));
    }
    java.util.regex.Matcher inline = java.util.regex.Pattern.compile("secretKeyRef: \\{name: (\\S+), key: (\\S+-password)\\}")
        .matcher(first);
    while (inline.find()) {
      refs.add(inline.group(1));
    }
    assertThat(refs).as("the pipeline's, the recompute's and Postgres' password references (the migrations Job's is a hook)").hasSizeGreaterThanOrEqualTo(6)
        .containsOnly("shop-db-passwords");
  }

  @Test
  void aRecomputeRangeAddsASparkApplicationThatRunsOnceOnThePipelinesClaimAndDatabase() throws Exception {
    assertThat(render(null).ofKind("SparkApplication")).as("no range, no recompute").hasSize(1);
    Manifests m = renderWith("recompute.from", "2026-11-23T12:00:00Z", "recompute.to", "2026-11-23T13:00:00Z");
    List<JsonNode> apps = m.ofKind("SparkApplication");
    assertThat(apps).hasSize(2);
    JsonNode pipeline = apps.stream().filter(a -> a.path("metadata").path("name").asText().equals("clickstream-pipeline"))
        .findFirst().orElseThrow().path("spec");
    JsonNode recompute = apps.stream().filter(a -> a.path("metadata").path("name").asText().equals("clickstream-recompute"))
        .findFirst().orElseThrow().path("spec");
    assertThat(recompute.path("mainClass").asText()).isEqualTo("dev.clickstream.app.Recompute");
    assertThat(recompute.path("arguments").toString()).isEqualTo(
        "[\"--from\",\"2026-11-23T12:00:00Z\",\"--to\",\"2026-11-23T13:00:00Z\"]");
    assertThat(recompute.path("restartPolicy").path("type").asText()).isEqualTo("Never");
    assertThat(recompute.path("image")).isEqualTo(pipeline.path("image"));
    assertThat(recompute.path("mainApplicationFile")).isEqualTo(pipeline.path("mainApplicationFile"));
    // the claim, Delta, classpath and pod sizes of the pipeline (it adds only its UI and metrics settings)
    recompute.path("sparkConf").fields().forEachRemaining(e ->
        assertThat(pipeline.path("sparkConf").path(e.getKey())).as(e.getKey()).isEqualTo(e.getValue()));
    assertThat(recompute.path("sparkConf").path("spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName")
        .asText()).isEqualTo(m.one("PersistentVolumeClaim").path("metadata").path("name").asText());
    JsonNode env = recompute.path("driver").path("envVars");
    JsonNode pipelineEnv = pipeline.path("driver").path("envVars");
    for (String name : List.of("JDBC_URL", "DB_USER", "LAKE_PATH", "CHECKPOINT_ROOT", "SESSION_TIMEOUT")) {
      assertThat(env.path(name)).as(name).isEqualTo(pipelineEnv.path(name));
    }
    assertThat(recompute.path("driver").path("envSecretKeyRefs").path("DB_PASSWORD"))
        .isEqualTo(pipeline.path("driver").path("envSecretKeyRefs").path("DB_PASSWORD"));
    assertThat(recompute.path("driver").path("template")).isEqualTo(pipeline.path("driver").path("template"));
    assertThat(recompute.path("executor").path("template")).isEqualTo(pipeline.path("executor").path("template"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "producer.rate|-5|producer.rate",
      "app.executor.instances|0|app.executor.instances",
      "app.image.tag|''|app.image.tag",
      "app.watermarkDelay|2 minuts|app.watermarkDelay",
      "kafka.replicas|0|kafka.replicas",
      "app.driver.memory|lots|app.driver.memory",
      "app.lake.triggerInterval|0s|app.lake.triggerInterval",
      "app.lake.triggerInterval|hourly|app.lake.triggerInterval",
      "app.lake.vacuumRetention|30 minutes|app.lake.vacuumRetention",
      "app.maxEventTimeSkew|0s|app.maxEventTimeSkew",
      "app.maxEventTimeSkew|soon|app.maxEventTimeSkew",
      "app.maxEventTimeSkew|61s|app.maxEventTimeSkew (61s) must be at most half of app.watermarkDelay (2 minutes)",
      "app.stopTimeout|0s|app.stopTimeout",
      "app.dbRetryTimeout|later|app.dbRetryTimeout",
      "app.driver.requestCores|lots|app.driver.requestCores",
      "app.executor.requestCores|1 core|app.executor.requestCores",
      "monitoring.prometheusOperator|sometimes|monitoring.prometheusOperator",
      "monitoring.metricsPort|70000|monitoring.metricsPort",
      "monitoring.interval|soon|monitoring.interval",
      "producer.duplicateEvery|1|producer.duplicateEvery",
      "producer.batchSize|-1|producer.batchSize",
      "producer.products|0|producer.products",
      "producer.currency|euro|producer.currency",
      "security.kafkaAuthentication|maybe|security.kafkaAuthentication",
      "security.networkPolicies|off|security.networkPolicies",
      "recompute.from|noon|recompute.from",
      "recompute.to|2026-11-23 13:00|recompute.to",
      "app.image.repository|clickstream-app; rm -rf /|app.image.repository",
      "app.image.repository|Clickstream-App|app.image.repository",
      "app.image.tag|0.1.0 --privileged|app.image.tag",
      "producer.image.repository|a b|producer.image.repository",
      "postgres.image|postgres:17 ; sh|postgres.image",
      "postgres.roles.writer|robert'); drop|postgres.roles.writer",
      "postgres.roles.reader|clickstream|postgres.roles",
      "postgres.roles.owner|postgres|postgres.roles",
      "postgres.existingSecret|Not_A_Name|postgres.existingSecret",
      "monitoring.lagInterval|often|monitoring.lagInterval",
      "app.ingestMode|continuous|app.ingestMode",
      "app.realTimeBatchDuration|2s|app.realTimeBatchDuration (2s) must be at least 5 seconds",
      "app.realTimeBatchDuration|soon|app.realTimeBatchDuration",
      "app.realTimeFetchWait|1s|app.realTimeFetchWait (1s) must be at most 500 ms",
      "app.realTimeFetchWait|soon|app.realTimeFetchWait",
      "app.sessionTimeout|0s|app.sessionTimeout",
      "app.sessionTimeout|0 minutes|app.sessionTimeout",
      "app.watermarkDelay|0s|app.watermarkDelay",
      "monitoring.lagInterval|0s|monitoring.lagInterval",
      "app.lake.vacuumRetention|0 hours|app.lake.vacuumRetention",
      "app.lake.vacuumRetention|0d|app.lake.vacuumRetention",
      "monitoring.metricsPort|4040|monitoring.metricsPort (4040) must differ from app.uiPort (4040)",
      "app.uiPort|9464|monitoring.metricsPort (9464) must differ from app.uiPort (9464)",
      "recompute.from|2026-11-23T12:00Z|recompute.from",
      "recompute.to|2026-11-23T13:00+01:00|recompute.to",
      "recompute.from|2026-11-23T12:00:00Z|recompute.from and recompute.to: set both",
      "kafka.topics.enriched.name|user_activity|kafka.topics: input (user_activity), enriched (user_activity)",
      "kafka.topics.deadLetter.name|user_activity|must be three different topics",
      "kafka.topics.input.name|enriched_activity|an output equal to the input would be read back as input",
  })
  void badValuesFailTheTemplateNamingTheField(String key, String value, String field) {
    assertThatThrownBy(() -> {
      api();
      new Helm(CHART).template().withName("clickstream").set(key, value).call();
    })
        .hasMessageContaining(field);
  }

  @Test
  void aRecomputeRangeThatEndsBeforeItStartsIsRejected() {
    assertThatThrownBy(() -> {
      api();
      new Helm(CHART).template().withName("clickstream").set("recompute.from", "2026-11-23T13:00:00Z")
          .set("recompute.to", "2026-11-23T12:00:00Z").call();
    })
        .hasMessageContaining("recompute.from (2026-11-23T13:00:00Z) must be before recompute.to (2026-11-23T12:00:00Z)");
  }

  @Test
  void anUnknownValueIsRejected() {
    assertThatThrownBy(() -> {
      api();
      new Helm(CHART).template().withName("clickstream").set("app.tigger", "1s").call();
    })
        .hasMessageContaining("tigger");
  }
}
