package dev.clickstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import dev.clickstream.ops.OpsCli;
import dev.clickstream.testkit.Fixtures;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * {@code make e2e}: the whole chart on k3s in Docker (Testcontainers' K3s module). The app and producer images
 * (Jib tars of {@code make image-tars}) are imported into k3s's containerd; Strimzi and the Spark operator are
 * installed from their official charts at the versions the Makefile pins, with the values of {@code make operators};
 * the namespace enforces the restricted Pod Security Standard like {@code make kind-up}; the chart is installed with
 * {@code k8s/k3s-values.yaml}; then {@code ops verify}, {@code ops drill --target driver} and {@code --target
 * executor} run through the same code as {@code make verify} / {@code make drill}. On failure {@code ops diagnose}
 * writes the SparkApplication, pods, events and the driver's log tail to {@code deploy/target/e2e/}.
 *
 * <p>Skipped unless {@code -Dclickstream.e2e=true} (make e2e) and a Docker engine answers. The pieces that need no
 * Docker (values, import command, order and timeouts, pinned versions) are tested below on every machine.
 */
class EndToEndK3sTest {
  private static final Path OUT = Path.of("target", "e2e");

  @Test
  @Tag("e2e")
  void theChartRunsOnK3sVerifiesAndSurvivesTheDrills() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("clickstream.e2e"), "runs with make e2e (-Dclickstream.e2e=true)");
    Assumptions.assumeTrue(Fixtures.dockerAvailable(), "Docker not available: make e2e needs a Docker engine");
    for (Path tar : EndToEnd.IMAGE_TARS) {
      assertThat(tar).as("image tar (make image-tars)").exists();
    }
    Files.createDirectories(OUT);
    try (K3sContainer k3s = new K3sContainer(DockerImageName.parse(EndToEnd.K3S_IMAGE))) {
      k3s.start();
      Path kubeconfig = Files.writeString(OUT.resolve("kubeconfig"), k3s.getKubeConfigYaml());
      System.setProperty("kubeconfig", kubeconfig.toAbsolutePath().toString());
      try {
        run(k3s, kubeconfig);
      } catch (Throwable failure) {
        OpsCli.run("diagnose", "--output", OUT.toString());
        System.out.println("e2e failed: diagnostics in " + OUT.toAbsolutePath());
        throw failure;
      } finally {
        System.clearProperty("kubeconfig");
      }
    }
  }

  private static void run(K3sContainer k3s, Path kubeconfig) throws Exception {
    step("import the images into k3s", () -> {
      for (Path tar : EndToEnd.IMAGE_TARS) {
        String inContainer = "/tmp/" + tar.getParent().getParent().getFileName() + "-" + tar.getFileName();
        k3s.copyFileToContainer(MountableFile.forHostPath(tar), inContainer);
        ExecResult result = k3s.execInContainer(EndToEnd.importCommand(inContainer).toArray(String[]::new));
        assertThat(result.getExitCode()).as("%s: %s", inContainer, result.getStderr()).isZero();
      }
    });
    step("install Strimzi", () -> Helm.install("oci://quay.io/strimzi-helm/strimzi-kafka-operator")
        .withVersion(EndToEnd.makefileDefault("STRIMZI_VERSION")).withName("strimzi").withNamespace("strimzi").createNamespace()
        .withValuesFile(EndToEnd.ROOT.resolve("k8s/strimzi-values.yaml")).withKubeConfig(kubeconfig)
        .waitReady().withTimeout(seconds("install Strimzi")).call());
    step("install the Spark operator", () -> {
      Path repositories = OUT.resolve("repositories.yaml");
      Helm.repo().add().withRepositoryConfig(repositories).withName("spark-operator")
          .withUrl(URI.create("https://kubeflow.github.io/spark-operator")).call();
      Helm.install("spark-operator/spark-operator").withRepositoryConfig(repositories)
          .withVersion(EndToEnd.makefileDefault("SPARK_OPERATOR_VERSION")).withName("spark-operator")
          .withNamespace("spark-operator").createNamespace()
          .withValuesFile(EndToEnd.ROOT.resolve("k8s/spark-operator-values.yaml")).withKubeConfig(kubeconfig)
          .waitReady().withTimeout(seconds("install the Spark operator")).call();
    });
    step("create the namespace (restricted)", () -> {
      try (KubernetesClient client = new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build()) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("clickstream")
            .withLabels(Map.of("pod-security.kubernetes.io/enforce", "restricted",
                "pod-security.kubernetes.io/enforce-version", "latest"))
            .endMetadata().build()).serverSideApply();
      }
    });
    step("install the chart", () -> new Helm(ChartTest.CHART).install().withName("clickstream").withNamespace("clickstream")
        .withValuesFile(EndToEnd.K3S_VALUES).withKubeConfig(kubeconfig)
        .waitReady().withTimeout(seconds("install the chart")).call());
    step("ops verify", () -> assertThat(OpsCli.run("verify", "--timeout", String.valueOf(seconds("ops verify")))).isZero());
    step("ops drill driver", () -> assertThat(OpsCli.run("drill", "--target", "driver",
        "--timeout", String.valueOf(seconds("ops drill driver")))).isZero());
    step("ops drill executor", () -> assertThat(OpsCli.run("drill", "--target", "executor",
        "--timeout", String.valueOf(seconds("ops drill executor")))).isZero());
  }

  interface Body {
    void run() throws Exception;
  }

  private static void step(String name, Body body) throws Exception {
    long start = System.nanoTime();
    System.out.printf("e2e: %s (at most %d s) ...%n", name, seconds(name));
    body.run();
    System.out.printf("e2e: %s done in %.0f s%n", name, (System.nanoTime() - start) / 1e9);
  }

  private static int seconds(String step) {
    return (int) EndToEnd.timeout(step).toSeconds();
  }

  // ---- what needs no Docker -------------------------------------------------------------------------------

  @Test
  void theK3sValuesGiveARestrictedInstallationOnLocalPathVolumes() throws Exception {
    Manifests m = ChartTest.render(EndToEnd.K3S_VALUES);
    PersistentVolumeClaim claim = Manifests.strict(m.one("PersistentVolumeClaim"), PersistentVolumeClaim.class);
    assertThat(claim.getSpec().getStorageClassName()).isEqualTo("local-path");
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
    assertThat(m.one("KafkaNodePool").path("spec").path("storage").path("class").asText()).isEqualTo("local-path");
    assertThat(m.ofKind("ServiceMonitor")).as("no prometheus-operator in k3s").isEmpty();
    List<String> violations = new ArrayList<>();
    ChartSecurityTest.podSpecs(m).forEach((where, spec) -> violations.addAll(ChartSecurityTest.restrictedViolations(where, spec)));
    assertThat(violations).isEmpty();
    // the images the pods ask for are the tags make image-tars builds (IMAGE_TAG) and the e2e imports
    String tag = EndToEnd.makefileDefault("IMAGE_TAG");
    assertThat(m.one("SparkApplication").path("spec").path("image").asText()).isEqualTo("clickstream-app:" + tag);
    assertThat(m.one("CronJob").path("spec").path("jobTemplate").path("spec").path("template").path("spec")
        .path("containers").get(0).path("image").asText()).isEqualTo("clickstream-producer:" + tag);
  }

  @Test
  void imagesGoIntoTheContainerdNamespaceOfK3sKubelet() {
    assertThat(EndToEnd.importCommand("/tmp/app-jib-image.tar"))
        .containsExactly("ctr", "--namespace", "k8s.io", "images", "import", "/tmp/app-jib-image.tar");
    assertThat(EndToEnd.IMAGE_TARS).extracting(Path::toString)
        .containsExactly("../app/target/image/jib-image.tar", "../producer/target/jib-image.tar");
  }

  @Test
  void stepsRunInOrderWithinTheirBudget() {
    List<String> names = EndToEnd.STEPS.stream().map(EndToEnd.Step::name).toList();
    assertThat(names.indexOf("import the images into k3s")).isLessThan(names.indexOf("install the chart"));
    assertThat(names.indexOf("install Strimzi")).isLessThan(names.indexOf("install the chart"));
    assertThat(names.indexOf("install the Spark operator")).isLessThan(names.indexOf("install the chart"));
    assertThat(names.indexOf("create the namespace (restricted)")).isLessThan(names.indexOf("install the chart"));
    assertThat(names.indexOf("install the chart")).isLessThan(names.indexOf("ops verify"));
    assertThat(names.subList(names.indexOf("ops verify") + 1, names.size()))
        .containsExactly("ops drill driver", "ops drill executor");
    assertThat(EndToEnd.STEPS).allSatisfy(s -> assertThat(s.timeout()).isPositive());
    // the chart's install waits at least as long as make deploy's --wait (10m); the whole run fits in 90 minutes
    assertThat(EndToEnd.timeout("install the chart")).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
    assertThat(EndToEnd.STEPS.stream().map(EndToEnd.Step::timeout).reduce(Duration.ZERO, Duration::plus))
        .isLessThanOrEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void theOperatorsAreTheVersionsMakeOperatorsPins() throws Exception {
    assertThat(EndToEnd.makefileDefault("STRIMZI_VERSION")).isEqualTo("1.2.0");
    assertThat(EndToEnd.makefileDefault("SPARK_OPERATOR_VERSION")).isEqualTo("2.5.2");
    assertThat(EndToEnd.K3S_IMAGE).matches("rancher/k3s:v1\\.3[0-9]\\.\\d+-k3s\\d+");
  }
}
