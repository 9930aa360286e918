package dev.clickstream.deploy;

import static dev.clickstream.deploy.ChartTest.PRODUCTION_VALUES;
import static dev.clickstream.deploy.ChartTest.render;
import static dev.clickstream.deploy.ChartTest.renderWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart's security (issue "Security on Kubernetes"): every pod spec against the restricted Pod Security
 * Standard, the KafkaUsers' ACLs against the topics of the values, the Secrets by reference, and the
 * NetworkPolicies' selectors against the labels of the pods they are meant to admit or not.
 */
class ChartSecurityTest {

  /** Volume types the restricted profile allows (kubernetes.io/docs/concepts/security/pod-security-standards). */
  static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
      "persistentVolumeClaim", "projected", "secret");

  /** @return the Jobs of the chart's hooks, rendered with the values {@code m} was (the defaults here) */
  private static List<JsonNode> hooks(Manifests m) {
    try {
      return ChartTest.renderHooks().ofKind("Job");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every pod spec the chart renders, by where it is: StatefulSet, CronJob, Job (a hook), and the Spark pod templates. */
  static Map<String, PodSpec> podSpecs(Manifests m) {
    Map<String, PodSpec> specs = new LinkedHashMap<>();
    for (JsonNode s : m.ofKind("StatefulSet")) {
      specs.put("StatefulSet " + s.path("metadata").path("name").asText(),
          Manifests.strict(s, StatefulSet.class).getSpec().getTemplate().getSpec());
    }
    for (JsonNode c : m.ofKind("CronJob")) {
      specs.put("CronJob " + c.path("metadata").path("name").asText(),
          Manifests.strict(c, CronJob.class).getSpec().getJobTemplate().getSpec().getTemplate().getSpec());
    }
    for (JsonNode j : hooks(m)) {
      specs.put("Job " + j.path("metadata").path("name").asText(),
          Manifests.strict(j, io.fabric8.kubernetes.api.model.batch.v1.Job.class).getSpec().getTemplate().getSpec());
    }
    JsonNode app = m.one("SparkApplication").path("spec");
    for (String role : List.of("driver", "executor")) {
      JsonNode template = app.path(role).path("template").path("spec");
      assertThat(template.isObject()).as("SparkApplication %s.template: without it the operator leaves the pod to its "
          + "webhook", role).isTrue();
      specs.put("SparkApplication " + role + ".template", Manifests.YAML.convertValue(template, PodSpec.class));
    }
    return specs;
  }

  /**
   * The restricted profile's rules (Kubernetes Pod Security Standards, "Restricted"), plus ours: a read-only root
   * filesystem with /tmp on an emptyDir.
   *
   * @return violations, e.g. {@code CronJob x container producer: allowPrivilegeEscalation is not false}
   */
  static List<String> restrictedViolations(String where, PodSpec pod) {
    List<String> v = new ArrayList<>();
    PodSecurityContext psc = pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();
    if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()) || Boolean.TRUE.equals(pod.getHostIPC())) {
      v.add(where + ": host namespaces");
    }
    Map<String, Volume> volumes = new TreeMap<>();
    for (Volume vol : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
      volumes.put(vol.getName(), vol);
      Map<String, Object> fields = Manifests.YAML.convertValue(vol, Map.class);
      fields.keySet().stream().filter(k -> !k.equals("name") && !RESTRICTED_VOLUMES.contains(k))
          .forEach(k -> v.add(where + ": volume " + vol.getName() + " of type " + k));
    }
    List<Container> containers = new ArrayList<>(pod.getContainers());
    if (pod.getInitContainers() != null) {
      containers.addAll(pod.getInitContainers());
    }
    for (Container c : containers) {
      String at = where + " container " + c.getName();
      SecurityContext sc = c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
      if (Boolean.TRUE.equals(sc.getPrivileged())) {
        v.add(at + ": privileged");
      }
      if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        v.add(at + ": allowPrivilegeEscalation is not false");
      }
      if (sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
        v.add(at + ": capabilities do not drop ALL");
      } else if (sc.getCapabilities().getAdd() != null
          && !Set.of("NET_BIND_SERVICE").containsAll(sc.getCapabilities().getAdd())) {
        v.add(at + ": adds capabilities " + sc.getCapabilities().getAdd());
      }
      if (!Boolean.TRUE.equals(sc.getRunAsNonRoot()) && !Boolean.TRUE.equals(psc.getRunAsNonRoot())) {
        v.add(at + ": runAsNonRoot is not true");
      }
      Long user = sc.getRunAsUser() != null ? sc.getRunAsUser() : psc.getRunAsUser();
      if (user != null && user == 0) {
        v.add(at + ": runs as uid 0");
      }
      String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType()
          : psc.getSeccompProfile() != null ? psc.getSeccompProfile().getType() : null;
      if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
        v.add(at + ": seccompProfile is " + seccomp);
      }
      if (c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
        v.add(at + ": host port");
      }
      if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
        v.add(at + ": root filesystem is writable");
      } else if (c.getVolumeMounts() == null || c.getVolumeMounts().stream().noneMatch(mnt -> mnt.getMountPath().equals("/tmp")
          && volumes.containsKey(mnt.getName()) && volumes.get(mnt.getName()).getEmptyDir() != null)) {
        v.add(at + ": read-only root filesystem without an emptyDir on /tmp");
      }
    }
    return v;
  }

  @ParameterizedTest(name = "values: {0}")
  @ValueSource(strings = {"default", "production", "security off"})
  void everyPodSpecMeetsTheRestrictedProfile(String values) throws Exception {
    Manifests m = switch (values) {
      case "default" -> render(null);
      case "production" -> render(PRODUCTION_VALUES);
      default -> renderWith("security.kafkaAuthentication", "false", "security.networkPolicies", "false");
    };
    Map<String, PodSpec> specs = podSpecs(m);
    assertThat(specs.keySet()).contains("SparkApplication driver.template", "SparkApplication executor.template")
        .anyMatch(k -> k.startsWith("StatefulSet")).anyMatch(k -> k.startsWith("CronJob"));
    List<String> violations = new ArrayList<>();
    specs.forEach((where, spec) -> violations.addAll(restrictedViolations(where, spec)));
    assertThat(violations).isEmpty();
    // operator v2.5.2 hands the templates to Spark under these container names (pkg/common/spark.go)
    JsonNode app = m.one("SparkApplication").path("spec");
    assertThat(app.path("driver").path("template").path("spec").path("containers").get(0).path("name").asText())
        .isEqualTo("spark-kubernetes-driver");
    assertThat(app.path("executor").path("template").path("spec").path("containers").get(0).path("name").asText())
        .isEqualTo("spark-kubernetes-executor");
    assertThat(app.path("sparkConf").path("spark.sql.warehouse.dir").asText()).as("not the read-only work dir").startsWith("/tmp/");
    // pod fields only the webhook would apply are gone: the templates carry them
    assertThat(app.path("driver").has("podSecurityContext")).isFalse();
    assertThat(app.path("executor").has("podSecurityContext")).isFalse();

    // Strimzi's pods: the Kafka CR's templates (Strimzi copies them into the pods it creates)
    JsonNode kafka = m.one("Kafka").path("spec");
    List<JsonNode> podTemplates = new ArrayList<>(List.of(kafka.path("kafka").path("template").path("pod"),
        kafka.path("entityOperator").path("template").path("pod")));
    List<JsonNode> containerTemplates = new ArrayList<>(List.of(kafka.path("kafka").path("template").path("kafkaContainer"),
        kafka.path("entityOperator").path("template").path("topicOperatorContainer"),
        kafka.path("entityOperator").path("template").path("userOperatorContainer")));
    if (kafka.has("kafkaExporter")) {
      podTemplates.add(kafka.path("kafkaExporter").path("template").path("pod"));
      containerTemplates.add(kafka.path("kafkaExporter").path("template").path("container"));
    }
    // a pod securityContext replaces Strimzi's default, whose fsGroup 0 lets the broker write its volume
    assertThat(kafka.path("kafka").path("template").path("pod").path("securityContext").path("fsGroup").isInt()).isTrue();
    assertThat(kafka.path("kafka").path("template").path("pod").path("securityContext").path("fsGroup").asInt()).isZero();
    for (JsonNode pod : podTemplates) {
      assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).as(pod.toString()).isTrue();
      assertThat(pod.path("securityContext").path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
    }
    for (JsonNode container : containerTemplates) {
      JsonNode sc = container.path("securityContext");
      assertThat(sc.path("allowPrivilegeEscalation").isBoolean() && !sc.path("allowPrivilegeEscalation").asBoolean())
          .as(container.toString()).isTrue();
      assertThat(sc.path("capabilities").path("drop").toString()).contains("\"ALL\"");
    }
  }

  @Test
  void theCheckerFindsWhatTheProfileForbids() {
    PodSpec bad = Manifests.YAML.convertValue(Map.of(
        "hostNetwork", true,
        "containers", List.of(Map.of("name", "c", "securityContext", Map.of("privileged", true, "runAsUser", 0))),
        "volumes", List.of(Map.of("name", "h", "hostPath", Map.of("path", "/")))), PodSpec.class);
    assertThat(restrictedViolations("pod", bad)).contains("pod: host namespaces", "pod: volume h of type hostPath",
        "pod container c: privileged", "pod container c: allowPrivilegeEscalation is not false",
        "pod container c: capabilities do not drop ALL", "pod container c: runAsNonRoot is not true",
        "pod container c: runs as uid 0", "pod container c: seccompProfile is null",
        "pod container c: root filesystem is writable");
  }

  /** @return "resourceType:patternType:name" -> operations, of one KafkaUser */
  static Map<String, Set<String>> acls(JsonNode user) {
    Map<String, Set<String>> acls = new TreeMap<>();
    for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
      assertThat(acl.path("type").asText("allow")).isEqualTo("allow");
      JsonNode r = acl.path("resource");
      acls.computeIfAbsent(r.path("type").asText() + ":" + r.path("patternType").asText("literal") + ":" + r.path("name").asText(),
          k -> new TreeSet<>()).addAll(Manifests.YAML.convertValue(acl.path("operations"), List.class));
    }
    return acls;
  }

  static JsonNode user(Manifests m, String name) {
    return m.ofKind("KafkaUser").stream().filter(u -> u.path("metadata").path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no KafkaUser " + name));
  }

  @Test
  void eachClientHasItsOwnUserWithTheLeastPrivilegeOnTheTopicsOfTheValues() throws Exception {
    Manifests m = renderWith("kafka.topics.input.name", "clicks", "kafka.topics.enriched.name", "clicks_enriched",
        "kafka.topics.deadLetter.name", "clicks_dlq");
    JsonNode kafka = m.one("Kafka").path("spec").path("kafka");
    JsonNode listener = kafka.path("listeners").get(0);
    assertThat(kafka.path("listeners")).hasSize(1);
    assertThat(listener.path("tls").asBoolean()).isTrue();
    assertThat(listener.path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
    assertThat(kafka.path("authorization").path("type").asText()).isEqualTo("simple");
    assertThat(m.one("Kafka").path("spec").path("entityOperator").has("userOperator")).as("creates the users").isTrue();

    assertThat(m.ofKind("KafkaUser")).allSatisfy(u -> {
      assertThat(u.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo("clickstream");
      assertThat(u.path("spec").path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
      assertThat(u.path("spec").path("authentication").has("password")).as("Strimzi generates it").isFalse();
    });
    assertThat(acls(user(m, "clickstream-pipeline"))).isEqualTo(Map.of(
        "topic:literal:clicks", Set.of("Read", "Describe", "DescribeConfigs"),
        "topic:literal:clicks_enriched", Set.of("Write", "Describe"),
        "topic:literal:clicks_dlq", Set.of("Write", "Describe")));
    assertThat(acls(user(m, "clickstream-producer"))).isEqualTo(Map.of("topic:literal:clicks", Set.of("Write", "Describe")));
    assertThat(acls(user(m, "clickstream-kafka-ui"))).isEqualTo(Map.of(
        "topic:literal:clicks", Set.of("Read", "Describe", "DescribeConfigs"),
        "topic:literal:clicks_enriched", Set.of("Read", "Describe", "DescribeConfigs"),
        "topic:literal:clicks_dlq", Set.of("Read", "Describe", "DescribeConfigs")));

    // the credentials reach the pods by reference only
    JsonNode driver = m.one("SparkApplication").path("spec").path("driver");
    assertThat(driver.path("envVars").path("KAFKA_SECURITY_PROTOCOL").asText()).isEqualTo("SASL_SSL");
    assertThat(driver.path("envVars").path("KAFKA_SASL_MECHANISM").asText()).isEqualTo("SCRAM-SHA-512");
    assertThat(driver.path("envVars").has("KAFKA_SASL_JAAS_CONFIG")).isFalse();
    assertThat(driver.path("envSecretKeyRefs").path("KAFKA_SASL_JAAS_CONFIG").toString())
        .isEqualTo("{\"name\":\"clickstream-pipeline\",\"key\":\"sasl.jaas.config\"}");
    assertThat(driver.path("envSecretKeyRefs").path("KAFKA_SSL_TRUSTSTORE_CERTIFICATES").toString())
        .isEqualTo("{\"name\":\"clickstream-cluster-ca-cert\",\"key\":\"ca.crt\"}");
    Container producer = Manifests.strict(m.one("CronJob"), CronJob.class).getSpec().getJobTemplate().getSpec()
        .getTemplate().getSpec().getContainers().get(0);
    Map<String, EnvVar> env = producer.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertThat(env.get("KAFKA_SECURITY_PROTOCOL").getValue()).isEqualTo("SASL_SSL");
    assertThat(env.get("KAFKA_SASL_JAAS_CONFIG").getValue()).isNull();
    assertThat(env.get("KAFKA_SASL_JAAS_CONFIG").getValueFrom().getSecretKeyRef().getName()).isEqualTo("clickstream-producer");
    assertThat(env.get("KAFKA_SSL_TRUSTSTORE_CERTIFICATES").getValueFrom().getSecretKeyRef().getName())
        .isEqualTo("clickstream-cluster-ca-cert");
    assertThat(producer.getArgs()).noneMatch(a -> a.contains("jaas") || a.contains("password"));
  }

  @Test
  void withSecurityOffThereIsOnePlainListenerAndNoUserOrPolicy() throws Exception {
    Manifests m = renderWith("security.kafkaAuthentication", "false", "security.networkPolicies", "false");
    JsonNode kafka = m.one("Kafka").path("spec");
    assertThat(kafka.path("kafka").path("listeners").get(0).path("tls").asBoolean()).isFalse();
    assertThat(kafka.path("kafka").path("listeners").get(0).path("port").asInt()).isEqualTo(9092);
    assertThat(kafka.path("kafka").has("authorization")).isFalse();
    assertThat(kafka.path("entityOperator").has("userOperator")).isFalse();
    assertThat(m.ofKind("KafkaUser")).isEmpty();
    assertThat(m.ofKind("NetworkPolicy")).isEmpty();
    JsonNode driver = m.one("SparkApplication").path("spec").path("driver");
    assertThat(driver.path("envVars").path("KAFKA_BOOTSTRAP_SERVERS").asText()).endsWith(":9092");
    assertThat(driver.path("envVars").has("KAFKA_SECURITY_PROTOCOL")).isFalse();
    assertThat(driver.path("envSecretKeyRefs").has("KAFKA_SASL_JAAS_CONFIG")).isFalse();
  }

  /** Kubernetes label selector semantics: matchLabels, and matchExpressions In / NotIn / Exists / DoesNotExist. */
  static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector.getMatchLabels() != null
        && !selector.getMatchLabels().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
      return false;
    }
    for (var e : selector.getMatchExpressions() == null ? List.<io.fabric8.kubernetes.api.model.LabelSelectorRequirement>of()
        : selector.getMatchExpressions()) {
      String value = labels.get(e.getKey());
      boolean ok = switch (e.getOperator()) {
        case "In" -> value != null && e.getValues().contains(value);
        case "NotIn" -> value == null || !e.getValues().contains(value);
        case "Exists" -> value != null;
        case "DoesNotExist" -> value == null;
        default -> throw new AssertionError("operator " + e.getOperator());
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  @Test
  void networkPoliciesAdmitThePipelinesOwnTrafficAndNothingElse() throws Exception {
    Manifests m = render(null);
    JsonNode app = m.one("SparkApplication").path("spec");
    Map<String, String> driver = Manifests.YAML.convertValue(app.path("driver").path("labels"), Map.class);
    Map<String, String> executor = Manifests.YAML.convertValue(app.path("executor").path("labels"), Map.class);
    Map<String, String> producer = Manifests.strict(m.one("CronJob"), CronJob.class).getSpec().getJobTemplate().getSpec()
        .getTemplate().getMetadata().getLabels();
    Map<String, String> postgres = Manifests.strict(m.one("StatefulSet"), StatefulSet.class).getSpec().getTemplate()
        .getMetadata().getLabels();
    Map<String, String> stranger = Map.of("app", "something-else");
    Map<String, String> kafkaUi = Map.of("app.kubernetes.io/name", "kafka-ui", "app.kubernetes.io/instance", "kafka-ui");
    Map<String, NetworkPolicy> policies = m.ofKind("NetworkPolicy").stream().map(p -> Manifests.strict(p, NetworkPolicy.class))
        .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));

    NetworkPolicy deny = policies.get("clickstream-default-deny-ingress");
    assertThat(deny.getSpec().getPodSelector().getMatchLabels()).isNullOrEmpty();
    assertThat(deny.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(deny.getSpec().getIngress()).isNullOrEmpty();

    NetworkPolicy pg = policies.get("clickstream-postgres");
    assertThat(selects(pg.getSpec().getPodSelector(), postgres)).isTrue();
    assertThat(selects(pg.getSpec().getPodSelector(), driver)).isFalse();
    LabelSelector pgFrom = pg.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector();
    assertThat(selects(pgFrom, driver)).isTrue();
    assertThat(selects(pgFrom, executor)).isTrue();
    assertThat(selects(pgFrom, producer)).isFalse();
    assertThat(selects(pgFrom, stranger)).isFalse();
    assertThat(pg.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal()).isEqualTo(5432);

    NetworkPolicy spark = policies.get("clickstream-spark");
    assertThat(selects(spark.getSpec().getPodSelector(), driver) && selects(spark.getSpec().getPodSelector(), executor)).isTrue();
    LabelSelector sparkFrom = spark.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector();
    assertThat(selects(sparkFrom, executor) && selects(sparkFrom, driver) && !selects(sparkFrom, producer)).isTrue();
    assertThat(spark.getSpec().getIngress().get(1).getPorts().get(0).getPort().getIntVal()).isEqualTo(9464);

    // Kafka's client listener: Strimzi turns networkPolicyPeers into the listener port's NetworkPolicy
    List<LabelSelector> peers = new ArrayList<>();
    for (JsonNode peer : m.one("Kafka").path("spec").path("kafka").path("listeners").get(0).path("networkPolicyPeers")) {
      peers.add(Manifests.YAML.convertValue(peer.path("podSelector"), LabelSelector.class));
    }
    for (Map<String, String> client : List.of(driver, executor, producer, kafkaUi)) {
      assertThat(peers.stream().anyMatch(p -> selects(p, client))).as("admits %s", client).isTrue();
    }
    for (Map<String, String> other : List.of(postgres, stranger)) {
      assertThat(peers.stream().noneMatch(p -> selects(p, other))).as("refuses %s", other).isTrue();
    }

    // the metrics port: from the monitoring namespace only
    assertThat(spark.getSpec().getIngress().get(1).getFrom().get(0).getNamespaceSelector().getMatchLabels())
        .containsExactly(Map.entry("kubernetes.io/metadata.name", "monitoring"));
    Map<String, String> migrations = Map.of("app.kubernetes.io/instance", "clickstream",
        "app.kubernetes.io/component", "schema-migrations");
    assertThat(selects(pgFrom, migrations)).as("the migrations Job reaches Postgres").isTrue();

    // egress: the Spark pods reach Kafka's client listener, Postgres, DNS and each other; only the driver the API
    // server; the migrations Job only Postgres and DNS
    Map<String, String> broker = Map.of("strimzi.io/cluster", "clickstream", "strimzi.io/kind", "Kafka");
    Map<String, String> dns = Map.of("k8s-app", "kube-dns");
    for (String name : List.of("clickstream-spark-driver-egress", "clickstream-spark-executor-egress",
        "clickstream-schema-migrations-egress")) {
      NetworkPolicy egress = policies.get(name);
      assertThat(egress.getSpec().getPolicyTypes()).as(name).containsExactly("Egress");
      List<String> reaches = new ArrayList<>();
      for (var rule : egress.getSpec().getEgress()) {
        List<String> ports = rule.getPorts() == null || rule.getPorts().isEmpty() ? List.of("any port") : rule.getPorts().stream()
            .map(port -> port.getProtocol() + "/" + port.getPort().getIntVal()).toList();
        if (rule.getTo() == null || rule.getTo().isEmpty()) {
          reaches.add("anywhere " + ports);
          continue;
        }
        for (var peer : rule.getTo()) {
          for (var target : Map.of("kafka", broker, "postgres", postgres, "dns", dns, "driver", driver, "executor", executor,
              "producer", producer).entrySet()) {
            if (peer.getPodSelector() != null && selects(peer.getPodSelector(), target.getValue())) {
              reaches.add(target.getKey() + " " + ports);
            }
          }
        }
      }
      List<String> expected = switch (name) {
        case "clickstream-spark-driver-egress" -> List.of("kafka [TCP/9093]", "postgres [TCP/5432]", "dns [UDP/53, TCP/53]",
            "executor [any port]", "anywhere [TCP/443, TCP/6443]");
        case "clickstream-spark-executor-egress" -> List.of("kafka [TCP/9093]", "postgres [TCP/5432]",
            "dns [UDP/53, TCP/53]", "driver [any port]", "executor [any port]");
        default -> List.of("postgres [TCP/5432]", "dns [UDP/53, TCP/53]");
      };
      assertThat(reaches).as(name).containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void theSelectorMatcherFollowsKubernetesSemantics() {
    LabelSelector s = Manifests.YAML.convertValue(Map.of("matchLabels", Map.of("a", "1"),
        "matchExpressions", List.of(Map.of("key", "b", "operator", "In", "values", List.of("x", "y")))), LabelSelector.class);
    assertThat(selects(s, Map.of("a", "1", "b", "y"))).isTrue();
    assertThat(selects(s, Map.of("a", "1", "b", "z"))).isFalse();
    assertThat(selects(s, Map.of("a", "2", "b", "x"))).isFalse();
    assertThat(selects(new LabelSelector(), Map.of("any", "thing"))).isTrue();
  }

  /**
   * The driver's Role is exactly what Spark 4.1.1 needs for executor pods (read in KubernetesClusterSchedulerBackend
   * and ExecutorPodsAllocator, spark-rbac.yaml's comment), with the sparkConf that turns off what would need more;
   * executors run under an account of their own that no binding names and that mounts no token.
   */
  @ParameterizedTest
  @ValueSource(strings = {"default", "production"})
  void theDriverMayOnlyManageExecutorPodsAndExecutorsHaveNoToken(String values) throws Exception {
    Manifests m = values.equals("default") ? renderWith("recompute.from", "2026-11-23T12:00:00Z", "recompute.to",
        "2026-11-23T13:00:00Z") : render(PRODUCTION_VALUES);
    var role = Manifests.strict(m.one("Role"), io.fabric8.kubernetes.api.model.rbac.Role.class);
    assertThat(role.getRules()).hasSize(1);
    var rule = role.getRules().get(0);
    assertThat(rule.getApiGroups()).containsExactly("");
    assertThat(rule.getResources()).containsExactly("pods");
    assertThat(rule.getVerbs()).containsExactlyInAnyOrder("create", "get", "list", "watch", "delete", "deletecollection");
    assertThat(rule.getResourceNames()).isNullOrEmpty();
    var binding = Manifests.strict(m.one("RoleBinding"), io.fabric8.kubernetes.api.model.rbac.RoleBinding.class);
    assertThat(binding.getSubjects()).extracting(sub -> sub.getName()).containsExactly("clickstream-spark-driver");

    var executorAccount = m.ofKind("ServiceAccount").stream()
        .map(a -> Manifests.strict(a, io.fabric8.kubernetes.api.model.ServiceAccount.class))
        .filter(a -> a.getMetadata().getName().equals("clickstream-spark-executor")).findFirst().orElseThrow();
    assertThat(executorAccount.getAutomountServiceAccountToken()).isFalse();
    List<JsonNode> apps = m.ofKind("SparkApplication");
    assertThat(apps).hasSize(values.equals("default") ? 2 : 1);
    for (JsonNode app : apps) {
      String name = app.path("metadata").path("name").asText();
      JsonNode spec = app.path("spec");
      assertThat(spec.path("driver").path("serviceAccount").asText()).as(name).isEqualTo("clickstream-spark-driver");
      assertThat(spec.path("executor").path("serviceAccount").asText()).as(name).isEqualTo("clickstream-spark-executor");
      PodSpec executor = Manifests.YAML.convertValue(spec.path("executor").path("template").path("spec"), PodSpec.class);
      assertThat(executor.getAutomountServiceAccountToken()).as(name + " executor token").isFalse();
      JsonNode conf = spec.path("sparkConf");
      Map<String, String> expected = Map.of(
          // RPC between driver and executors: authenticated, AES-encrypted (Spark's security docs)
          "spark.authenticate", "true", "spark.network.crypto.enabled", "true",
          // what the Role above does not allow
          "spark.kubernetes.executor.disableConfigMap", "true",
          "spark.kubernetes.driver.service.deleteOnTermination", "false",
          "spark.kubernetes.driver.ownPersistentVolumeClaim", "false",
          "spark.kubernetes.driver.reusePersistentVolumeClaim", "false");
      expected.forEach((key, value) -> assertThat(conf.path(key).asText()).as(name + " " + key).isEqualTo(value));
    }
  }

  /** Postgres creates the roles from the very file make run and the tests run (the testkit packages it). */
  @Test
  void postgresInitialisesTheRolesFromTheSharedScript() throws Exception {
    Manifests m = render(null);
    ConfigMapLike init = new ConfigMapLike(m.ofKind("ConfigMap").stream()
        .filter(c -> c.path("metadata").path("name").asText().equals("clickstream-postgres-init")).findFirst().orElseThrow());
    assertThat(init.data("postgres-roles.sql").strip()).isEqualTo(java.nio.file.Files.readString(
        java.nio.file.Path.of("..", "helm", "clickstream", "files", "postgres-roles.sql")).strip());
    String script = init.data("10-clickstream-roles.sh");
    assertThat(script).contains("-f /etc/clickstream/postgres-roles.sql", "ON_ERROR_STOP=1");
    StatefulSet pg = Manifests.strict(m.one("StatefulSet"), StatefulSet.class);
    Container postgres = pg.getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, EnvVar> env = postgres.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertThat(env.get("POSTGRES_USER").getValue()).isEqualTo("postgres");
    for (String role : List.of("OWNER", "WRITER", "READER")) {
      assertThat(script).contains("\"$" + role + "_ROLE\"", "\"$" + role + "_PASSWORD\"");
      assertThat(env.get(role + "_PASSWORD").getValueFrom().getSecretKeyRef().getKey())
          .isEqualTo(role.toLowerCase() + "-password");
    }
    assertThat(env.get("OWNER_ROLE").getValue()).isEqualTo("clickstream_owner");
    assertThat(env.get("WRITER_ROLE").getValue()).isEqualTo("clickstream");
    assertThat(env.get("READER_ROLE").getValue()).isEqualTo("clickstream_reader");
    assertThat(postgres.getVolumeMounts()).extracting(v -> v.getMountPath())
        .contains("/docker-entrypoint-initdb.d", "/etc/clickstream");
    // the entrypoint would run a *.sql file in the init directory without the variables: only the script is there
    Volume initDir = pg.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals("init")).findFirst().orElseThrow();
    assertThat(initDir.getConfigMap().getItems()).extracting(i -> i.getPath()).containsExactly("10-clickstream-roles.sh");
  }

  /** A ConfigMap's data as rendered. */
  private record ConfigMapLike(JsonNode node) {
    String data(String key) {
      return node.path("data").path(key).asText();
    }
  }
}
