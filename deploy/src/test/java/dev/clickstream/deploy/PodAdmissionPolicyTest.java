package dev.clickstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's ValidatingAdmissionPolicy, without a cluster: its CEL expressions (match condition and validations)
 * compiled and evaluated with the CEL library Kubernetes' own is specified by (cel-java), against the executor pod
 * that Spark builds from the chart's SparkApplication (admitted) and against pods the driver's account could create
 * to reach a Secret (refused, each by the validation that names why).
 */
class PodAdmissionPolicyTest {
  private static final Cel CEL = CelFactory.standardCelBuilder()
      .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
      .addVar("object", SimpleType.DYN)
      .addVar("request", SimpleType.DYN)
      .build();
  private static final String DRIVER = "system:serviceaccount:clickstream:clickstream-spark-driver";
  private static JsonNode policy;
  private static JsonNode application;

  @BeforeAll
  static void render() throws Exception {
    Manifests m = ChartTest.render(null);
    policy = m.one("ValidatingAdmissionPolicy").path("spec");
    application = m.one("SparkApplication").path("spec");
    JsonNode binding = m.one("ValidatingAdmissionPolicyBinding").path("spec");
    assertThat(binding.path("policyName").asText()).isEqualTo(m.one("ValidatingAdmissionPolicy").path("metadata").path("name").asText());
    assertThat(binding.path("validationActions").toString()).isEqualTo("[\"Deny\"]");
  }

  /** The executor pod as Spark 4.1 builds it: the template, the executors' account, the claim and a local dir. */
  private static ObjectNode executorPod() {
    JsonNode executor = application.path("executor");
    ObjectNode pod = Manifests.YAML.createObjectNode();
    pod.putObject("metadata").set("labels", executor.path("labels").deepCopy());
    ObjectNode spec = executor.path("template").path("spec").deepCopy();
    spec.put("serviceAccountName", executor.path("serviceAccount").asText());
    ArrayNode volumes = spec.withArray("volumes");
    volumes.addObject().put("name", "data").putObject("persistentVolumeClaim").put("claimName", application.path("sparkConf")
        .path("spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName").asText());
    volumes.addObject().put("name", "spark-local-dir-1").putObject("emptyDir");
    ObjectNode container = (ObjectNode) spec.withArray("containers").get(0);
    ArrayNode env = container.withArray("env");
    env.addObject().put("name", "SPARK_EXECUTOR_ID").put("value", "1");
    env.addObject().put("name", "_SPARK_AUTH_SECRET").put("value", "generated-by-the-driver");
    container.withArray("volumeMounts").addObject().put("name", "data").put("mountPath", "/data");
    pod.set("spec", spec);
    return pod;
  }

  /** @return the messages of the validations the pod fails, created by {@code user}; null when the policy does not apply */
  private static List<String> refusals(JsonNode pod, String user) throws Exception {
    Map<String, Object> vars = Map.of("object", plain(pod), "request", Map.of("userInfo", Map.of("username", user)));
    for (JsonNode condition : policy.path("matchConditions")) {
      if (!(Boolean) eval(condition.path("expression").asText(), vars)) {
        return null;
      }
    }
    List<String> refused = new ArrayList<>();
    for (JsonNode v : policy.path("validations")) {
      if (!(Boolean) eval(v.path("expression").asText(), vars)) {
        refused.add(v.path("message").asText());
      }
    }
    return refused;
  }

  private static Object eval(String expression, Map<String, Object> vars) throws Exception {
    return CEL.createProgram(CEL.compile(expression).getAst()).eval(vars);
  }

  /** JSON as CEL's Java runtime takes it: maps, lists, strings, booleans, longs. */
  private static Object plain(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        map.put(e.getKey(), plain(e.getValue()));
      }
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(n -> list.add(plain(n)));
      return list;
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      return node.longValue();
    }
    return node.isNull() ? null : node.asText();
  }

  @Test
  void theExecutorPodOfTheChartsTemplateIsAdmitted() throws Exception {
    assertThat(refusals(executorPod(), DRIVER)).isEmpty();
  }

  @Test
  void aPodThatMountsASecretIsRefused() throws Exception {
    ObjectNode pod = executorPod();
    ((ArrayNode) pod.path("spec").path("volumes")).addObject().put("name", "keys").putObject("secret")
        .put("secretName", "clickstream-postgres");
    assertThat(refusals(pod, DRIVER)).singleElement().asString().contains("emptyDirs and the chart's claim");
  }

  @Test
  void aPodThatReadsASecretIntoItsEnvironmentIsRefused() throws Exception {
    ObjectNode pod = executorPod();
    ((ArrayNode) pod.path("spec").path("containers").get(0).path("env")).addObject().put("name", "OWNER")
        .putObject("valueFrom").putObject("secretKeyRef").put("name", "clickstream-postgres").put("key", "owner-password");
    assertThat(refusals(pod, DRIVER)).singleElement().asString().contains("read no Secret");
    ObjectNode envFrom = executorPod();
    ((ObjectNode) envFrom.path("spec").path("containers").get(0)).putArray("envFrom").addObject()
        .putObject("secretRef").put("name", "clickstream-pipeline");
    assertThat(refusals(envFrom, DRIVER)).singleElement().asString().contains("read no Secret");
    ObjectNode init = executorPod();
    ((ObjectNode) init.path("spec")).putArray("initContainers").addObject().put("name", "x").putArray("env").addObject()
        .put("name", "CA").putObject("valueFrom").putObject("secretKeyRef").put("name", "clickstream-cluster-ca").put("key", "ca.key");
    assertThat(refusals(init, DRIVER)).singleElement().asString().contains("read no Secret");
  }

  @Test
  void aPodWithAnotherAccountAnApiTokenOrAHostPathIsRefused() throws Exception {
    ObjectNode pod = executorPod();
    ((ObjectNode) pod.path("spec")).put("serviceAccountName", "clickstream-spark-driver");
    ((ObjectNode) pod.path("spec")).put("automountServiceAccountToken", true);
    ((ArrayNode) pod.path("spec").path("volumes")).addObject().put("name", "host").putObject("hostPath").put("path", "/");
    assertThat(refusals(pod, DRIVER)).hasSize(3);
  }

  @Test
  void podsOfOtherUsersAreLeftToRbacAndPodSecurity() throws Exception {
    ObjectNode pod = executorPod();
    ((ArrayNode) pod.path("spec").path("volumes")).addObject().put("name", "keys").putObject("secret").put("secretName", "x");
    assertThat(refusals(pod, "system:serviceaccount:clickstream:someone-else")).isNull();
  }
}
