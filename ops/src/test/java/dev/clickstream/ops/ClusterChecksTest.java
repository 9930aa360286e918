package dev.clickstream.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Readiness waits, timeouts and pod replacement against fabric8's mock API server in CRUD mode. */
class ClusterChecksTest {
  private KubernetesMockServer server;
  private KubernetesClient client;
  private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
  private ClusterChecks checks;

  @BeforeEach
  void startServer() {
    server = MockApi.start();
    client = server.createClient();
    checks = new ClusterChecks(client, "clickstream", Duration.ofMillis(100), new PrintStream(progress, true));
  }

  @AfterEach
  void stopServer() {
    client.close();
    server.destroy();
  }

  private GenericKubernetesResource resource(String apiVersion, String kind, String name, Map<String, Object> status) {
    GenericKubernetesResource r = new GenericKubernetesResourceBuilder().withApiVersion(apiVersion).withKind(kind)
        .withNewMetadata().withName(name).withNamespace("clickstream").endMetadata().build();
    r.setAdditionalProperty("status", status);
    return r;
  }

  private static Map<String, Object> ready(boolean ready) {
    return Map.of("conditions", List.of(Map.of("type", "Ready", "status", ready ? "True" : "False", "reason", ready ? "Ready" : "Creating")));
  }

  private void put(GenericKubernetesResource r) {
    client.genericKubernetesResources(r.getApiVersion(), r.getKind()).inNamespace("clickstream").resource(r).createOr(c -> c.update());
  }

  private Pod pod(String name, boolean ready) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("clickstream").withUid(UUID.randomUUID().toString())
        .endMetadata().withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus(ready ? "True" : "False")
        .endCondition().endStatus().build();
  }

  @Test
  void waitsUntilKafkaTurnsReady() {
    put(resource(ClusterChecks.STRIMZI, "Kafka", "clickstream", ready(false)));
    CompletableFuture.runAsync(() -> put(resource(ClusterChecks.STRIMZI, "Kafka", "clickstream", ready(true))),
        CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));
    long start = System.nanoTime();
    checks.awaitKafkaReady("clickstream", Duration.ofSeconds(20));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    assertThat(progress.toString()).contains("waiting for Kafka clickstream Ready ... NotReady: Creating");
  }

  @Test
  void aKafkaUserThatIsNotReadyTimesOutNamingIt() {
    put(resource(ClusterChecks.STRIMZI, "KafkaUser", "clickstream-pipeline", ready(false)));
    assertThatThrownBy(() -> checks.awaitKafkaUserReady("clickstream-pipeline", Duration.ofSeconds(1)))
        .isInstanceOf(CheckFailed.class)
        .hasMessage("KafkaUser clickstream-pipeline Ready: not reached after 1 s (last: NotReady: Creating)");
    put(resource(ClusterChecks.STRIMZI, "KafkaUser", "clickstream-pipeline", ready(true)));
    checks.awaitKafkaUserReady("clickstream-pipeline", Duration.ofSeconds(1));
  }

  @Test
  void aTopicThatNeverTurnsReadyTimesOutNamingIt() {
    put(resource(ClusterChecks.STRIMZI, "KafkaTopic", "user-activity", ready(true)));
    put(resource(ClusterChecks.STRIMZI, "KafkaTopic", "enriched-activity", ready(false)));
    assertThatThrownBy(() -> checks.awaitTopicsReady(List.of("user-activity", "enriched-activity"), Duration.ofSeconds(1)))
        .isInstanceOf(CheckFailed.class)
        .hasMessage("KafkaTopic enriched-activity Ready: not reached after 1 s (last: NotReady: Creating)");
  }

  @Test
  void aMissingResourceIsReportedAsMissing() {
    assertThatThrownBy(() -> checks.awaitKafkaReady("nope", Duration.ofMillis(300)))
        .hasMessageContaining("(last: missing)");
  }

  @Test
  void aDeletedDriverIsReplacedAndTheApplicationRunsAgain() {
    client.pods().inNamespace("clickstream").resource(pod("clickstream-pipeline-driver", true)).create();
    put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
        Map.of("applicationState", Map.of("state", "RUNNING"))));
    // the operator: notices the deletion, resubmits (SUBMITTED), a new driver comes up, the app runs again
    CompletableFuture.runAsync(() -> {
      put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
          Map.of("applicationState", Map.of("state", "SUBMITTED"))));
      client.pods().inNamespace("clickstream").resource(pod("clickstream-pipeline-driver", false)).create();
    }, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS)).thenRunAsync(() -> {
      client.pods().inNamespace("clickstream").withName("clickstream-pipeline-driver").edit(p -> new PodBuilder(p)
          .editStatus().editFirstCondition().withStatus("True").endCondition().endStatus().build());
      put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
          Map.of("applicationState", Map.of("state", "RUNNING"))));
    }, CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));

    String oldUid = client.pods().inNamespace("clickstream").withName("clickstream-pipeline-driver").get().getMetadata().getUid();
    double seconds = checks.deleteAndAwaitReplacement("clickstream-pipeline-driver", Duration.ofSeconds(20));
    checks.awaitSparkApplicationRunning("clickstream-pipeline", Duration.ofSeconds(20));
    assertThat(seconds).isGreaterThan(1.0);
    assertThat(client.pods().inNamespace("clickstream").withName("clickstream-pipeline-driver").get().getMetadata().getUid())
        .isNotEqualTo(oldUid);
    assertThat(checks.sparkApplicationState("clickstream-pipeline")).isEqualTo("RUNNING");
  }

  private Pod executor(String name, boolean ready) {
    return new PodBuilder(pod(name, ready)).editMetadata().addToLabels("spark-role", "executor")
        .addToLabels("sparkoperator.k8s.io/app-name", "clickstream-pipeline").endMetadata().build();
  }

  /** A replacement executor has a new id and so a new name: waiting for the deleted name would never end. */
  @Test
  void aDeletedExecutorIsReplacedByOneWithAnotherName() {
    client.pods().inNamespace("clickstream").resource(executor("clickstream-pipeline-exec-1", true)).create();
    client.pods().inNamespace("clickstream").resource(pod("other-app-exec-1", true)).create(); // not ours: no labels
    // Spark's allocator: a new executor id, first not Ready, then Ready
    CompletableFuture.runAsync(() -> client.pods().inNamespace("clickstream").resource(executor("clickstream-pipeline-exec-2", false)).create(),
        CompletableFuture.delayedExecutor(400, TimeUnit.MILLISECONDS)).thenRunAsync(() ->
        client.pods().inNamespace("clickstream").withName("clickstream-pipeline-exec-2").edit(p -> new PodBuilder(p)
            .editStatus().editFirstCondition().withStatus("True").endCondition().endStatus().build()),
        CompletableFuture.delayedExecutor(600, TimeUnit.MILLISECONDS));
    double seconds = checks.deleteExecutorAndAwaitReplacement("clickstream-pipeline", Duration.ofSeconds(20));
    assertThat(seconds).isGreaterThan(0.9);
    assertThat(client.pods().inNamespace("clickstream").withName("clickstream-pipeline-exec-1").get()).isNull();
    assertThat(progress.toString()).contains("deleted executor pod clickstream-pipeline-exec-1");
    assertThatThrownBy(() -> checks.deleteExecutorAndAwaitReplacement("another-pipeline", Duration.ofSeconds(1)))
        .hasMessageStartingWith("no executor pod of another-pipeline");
  }

  /**
   * Right after the driver pod is deleted the application still reads RUNNING, from the old submission: recovery
   * waits for a new submission id first (make recover).
   */
  @Test
  void recoveryWaitsForANewSubmissionNotTheOldRunningState() {
    put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
        Map.of("submissionID", "first", "applicationState", Map.of("state", "RUNNING"))));
    assertThat(checks.submissionId("clickstream-pipeline")).isEqualTo("first");
    CompletableFuture.runAsync(() -> put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
        Map.of("submissionID", "second", "applicationState", Map.of("state", "SUBMITTED")))),
        CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));
    long start = System.nanoTime();
    assertThat(checks.awaitNewSubmission("clickstream-pipeline", "first", Duration.ofSeconds(20))).isEqualTo("second");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    assertThatThrownBy(() -> checks.awaitNewSubmission("clickstream-pipeline", "second", Duration.ofMillis(500)))
        .hasMessage("a new submission of SparkApplication clickstream-pipeline: not reached after 0 s (last: still submission second)");
  }

  /** make recover and make drill TARGET=driver: a new pod, a new submission, RUNNING again. */
  @Test
  void aDeletedDriverIsResubmittedUnderANewSubmissionId() {
    client.pods().inNamespace("clickstream").resource(pod("clickstream-pipeline-driver", true)).create();
    put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
        Map.of("submissionID", "first", "applicationState", Map.of("state", "RUNNING"))));
    CompletableFuture.runAsync(() -> {
      put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
          Map.of("submissionID", "second", "applicationState", Map.of("state", "SUBMITTED"))));
      client.pods().inNamespace("clickstream").resource(pod("clickstream-pipeline-driver", true)).create();
    }, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS)).thenRunAsync(() ->
        put(resource(ClusterChecks.SPARK_OPERATOR, "SparkApplication", "clickstream-pipeline",
            Map.of("submissionID", "second", "applicationState", Map.of("state", "RUNNING")))),
        CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));
    double seconds = checks.deleteDriverAndAwaitResubmission("clickstream-pipeline", "clickstream-pipeline-driver",
        Duration.ofSeconds(20));
    assertThat(seconds).isGreaterThan(0.4);
    assertThat(checks.submissionId("clickstream-pipeline")).isEqualTo("second");
    assertThat(checks.sparkApplicationState("clickstream-pipeline")).isEqualTo("RUNNING");
    assertThat(progress.toString()).contains("clickstream-pipeline resubmitted: submission first -> second");
  }

  @Test
  void theReleaseSettingsComeFromTheSparkApplication() {
    Map<String, String> env = Map.of("JDBC_URL", "jdbc:postgresql://db-postgres:5432/shop?sslmode=require",
        "LAKE_PATH", "/mnt/x/lake/", "INPUT_TOPIC", "web.clicks", "ENRICHED_TOPIC", "web_clicks_enriched", "DLQ_TOPIC", "DLQ");
    ReleaseSettings r = ReleaseSettings.of(env, Map.of("KAFKA_SASL_JAAS_CONFIG", Map.of("name", "shop-pipeline", "key",
        "sasl.jaas.config")), "shop-pipeline");
    assertThat(r).isEqualTo(new ReleaseSettings("shop", "/mnt/x/lake/events/_delta_log",
        List.of("web-clicks", "web-clicks-enriched", "dlq"), Optional.of("shop-pipeline")));
    assertThat(ReleaseSettings.of(env, Map.of(), "shop-pipeline").kafkaUser()).as("Kafka without authentication").isEmpty();
    assertThatThrownBy(() -> ReleaseSettings.of(Map.of("JDBC_URL", "jdbc:postgresql://db/x"), Map.of(), "shop-pipeline"))
        .hasMessage("SparkApplication shop-pipeline has no LAKE_PATH in spec.driver.envVars");
  }

  @Test
  void deletingAPodThatDoesNotExistFailsAtOnce() {
    assertThatThrownBy(() -> checks.deleteAndAwaitReplacement("clickstream-pipeline-driver", Duration.ofSeconds(5)))
        .hasMessage("pod clickstream-pipeline-driver does not exist in namespace clickstream");
  }

  @Test
  void theDriverLogTellsCommittedMicroBatchesPerQuery() {
    Map<String, Long> batches = OpsCli.batchesPerQuery("""
        12:00:01 INFO microbatch - query=ingest batch=0 inputRows=10 durationMs=20
        12:00:02 INFO microbatch - query=ingest batch=1 inputRows=10 durationMs=20
        12:00:03 INFO microbatch - query=user-sessions batch=0 inputRows=10
        """);
    assertThat(batches).containsEntry("ingest", 2L).containsEntry("user-sessions", 1L).containsEntry("lake", 0L)
        .containsEntry("analytics", 0L).hasSize(4);
  }

  @Test
  void theLakeLogTellsTheNewestVersionAndTheRowsCommitsAdded() {
    assertThat(LakeLog.latestVersion("""
        00000000000000000009.json
        00000000000000000010.checkpoint.parquet
        00000000000000000010.json
        00000000000000000011.json
        _last_checkpoint
        """)).hasValue(11);
    assertThat(LakeLog.latestVersion("_last_checkpoint\n")).isEmpty();
    String commits = """
        {"commitInfo":{"operation":"WRITE"}}
        {"txn":{"appId":"a","version":3}}
        {"add":{"path":"event_date=2026-11-23/part-0.parquet","dataChange":true,"stats":"{\\"numRecords\\":120}"}}
        {"add":{"path":"event_date=2026-11-23/part-1.parquet","dataChange":true,"stats":"{\\"numRecords\\":80}"}}
        {"commitInfo":{"operation":"OPTIMIZE"}}
        {"remove":{"path":"event_date=2026-11-23/part-0.parquet","dataChange":false}}
        {"add":{"path":"event_date=2026-11-23/part-9.parquet","dataChange":false,"stats":"{\\"numRecords\\":200}"}}
        """;
    assertThat(LakeLog.addedRows(commits)).as("compaction re-adds rows with dataChange=false").isEqualTo(200);
    assertThatThrownBy(() -> LakeLog.addedRows("not json")).isInstanceOf(IllegalArgumentException.class);
  }
}
