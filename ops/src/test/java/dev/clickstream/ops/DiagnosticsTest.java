package dev.clickstream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `make diagnose` (and `make e2e` on failure) writes, against fabric8's mock API server. */
class DiagnosticsTest {
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = MockApi.start();
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private void put(String apiVersion, String kind, String name, Map<String, Object> status) {
    GenericKubernetesResource r = new GenericKubernetesResourceBuilder().withApiVersion(apiVersion).withKind(kind)
        .withNewMetadata().withName(name).withNamespace("clickstream").endMetadata().build();
    r.setAdditionalProperty("status", status);
    client.genericKubernetesResources(apiVersion, kind).inNamespace("clickstream").resource(r).create();
  }

  @Test
  void writesWhatToLookAtWhenTheApplicationDoesNotComeUp(@TempDir Path dir) throws Exception {
    put(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
        Map.of("applicationState", Map.of("state", "SUBMISSION_FAILED", "errorMessage", "driver pod failed")));
    put(ClusterChecks.STRIMZI, "KafkaUser", "clickstream-pipeline",
        Map.of("conditions", List.of(Map.of("type", "Ready", "status", "False", "message", "ACLs not applied"))));
    client.pods().inNamespace("clickstream").resource(new PodBuilder().withNewMetadata().withName("clickstream-producer-1")
        .endMetadata().withNewStatus().withPhase("Pending").addNewContainerStatus().withName("producer").withReady(false)
        .withRestartCount(0).withNewState().withNewWaiting().withReason("CreateContainerConfigError")
        .withMessage("secret \"clickstream-producer\" not found").endWaiting().endState().endContainerStatus().endStatus()
        .build()).create();
    for (String[] e : List.of(new String[] {"b", "2026-12-01T10:00:05Z", "FailedCreate", "violates PodSecurity \"restricted:latest\""},
        new String[] {"a", "2026-12-01T10:00:01Z", "Scheduled", "assigned"})) {
      client.v1().events().inNamespace("clickstream").resource(new EventBuilder().withNewMetadata().withName(e[0]).endMetadata()
          .withLastTimestamp(e[1]).withType("Warning").withReason(e[2]).withMessage(e[3])
          .withNewInvolvedObject().withKind("Job").withName("clickstream-producer-1").endInvolvedObject().build()).create();
    }

    List<Path> files = Diagnostics.write(client, "clickstream", "clickstream-pipeline", "clickstream-pipeline-driver", dir);

    assertThat(files).extracting(p -> p.getFileName().toString())
        .containsExactly("sparkapplication.yaml", "pods.txt", "events.txt", "strimzi.txt", "driver-log-tail.txt");
    assertThat(Files.readString(dir.resolve("sparkapplication.yaml"))).contains("SUBMISSION_FAILED").contains("driver pod failed");
    assertThat(Files.readString(dir.resolve("pods.txt"))).contains("clickstream-producer-1 Pending")
        .contains("producer ready=false restarts=0 waiting CreateContainerConfigError: secret \"clickstream-producer\" not found");
    assertThat(Files.readString(dir.resolve("events.txt")).lines().toList()).containsExactly(
        "2026-12-01T10:00:01Z Warning Scheduled Job/clickstream-producer-1: assigned",
        "2026-12-01T10:00:05Z Warning FailedCreate Job/clickstream-producer-1: violates PodSecurity \"restricted:latest\"");
    assertThat(Files.readString(dir.resolve("strimzi.txt")))
        .contains("KafkaUser clickstream-pipeline Ready=False (ACLs not applied)");
    assertThat(Files.readString(dir.resolve("driver-log-tail.txt"))).startsWith("# no log of pod clickstream-pipeline-driver");
  }
}
