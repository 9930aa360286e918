package dev.clickstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Makefile's cluster targets cannot run here (no Docker, no kind): each must at least expand and name real files. */
class MakefileTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Pattern REPO_FILE = Pattern.compile("(?<![\\w/.-])((?:k8s|helm)/[\\w./-]+|kind-config\\.yaml)");

  private static String make(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("make", "--no-print-directory"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("make %s:%n%s", String.join(" ", args), out).isZero();
    return out;
  }

  @Test
  void everyTargetExpandsAndNamesOnlyFilesThatExist() throws Exception {
    List<String> targets = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+make (\\S+)").matcher(make("help"));
    while (m.find()) {
      targets.add(m.group(1));
    }
    assertThat(targets).contains("run", "test", "build", "kind-up", "operators", "images", "deploy", "status", "logs",
        "psql", "produce-now", "recover", "down", "monitoring", "grafana", "spark-ui", "kafka-ui", "monitoring-local",
        "image-tars", "e2e", "diagnose");
    for (String target : targets) {
      String dryRun = make("-n", target);
      Matcher files = REPO_FILE.matcher(dryRun);
      while (files.find()) {
        assertThat(ROOT.resolve(files.group(1))).as("make %s names %s", target, files.group(1)).exists();
      }
    }
  }

  @Test
  void clusterTargetsUsePinnedVersionsAndTheFilesOfThisRepository() throws Exception {
    assertThat(make("-n", "operators")).contains("--version 1.2.0").contains("--version 2.5.2")
        .contains("k8s/strimzi-values.yaml").contains("k8s/spark-operator-values.yaml");
    assertThat(make("-n", "kind-up")).contains("kind-config.yaml").contains("k8s/data-pv.yaml")
        .contains("kubectl label namespace clickstream pod-security.kubernetes.io/enforce=restricted");
    // kafka-ui signs in as the chart's read-only KafkaUser, over TLS, from the namespace's restricted profile
    assertThat(Files.readString(ROOT.resolve("k8s/kafka-ui-values.yaml"))).contains("bootstrapServers: clickstream-kafka-bootstrap:9093")
        .contains("security.protocol: SASL_SSL").contains("name: clickstream-kafka-ui").contains("keyName: sasl.jaas.config")
        .contains("name: clickstream-cluster-ca-cert").contains("seccompProfile: {type: RuntimeDefault}").contains("drop: [ALL]");
    assertThat(make("-n", "images")).contains("jib:buildTar").contains("kind load image-archive app/target/image/jib-image.tar");
    // images for the host's architecture (kind's nodes run on it): this machine is amd64; arm64 on request
    String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
    assertThat(make("-n", "images")).contains("-Djib.from.platforms=linux/" + arch);
    assertThat(make("-n", "images", "ARCH=arm64")).contains("-Djib.from.platforms=linux/arm64").doesNotContain("linux/amd64");
    // Strimzi's chart from its OCI registry; kind's node image pinned by digest
    assertThat(make("-n", "operators")).contains("oci://quay.io/strimzi-helm/strimzi-kafka-operator --version 1.2.0");
    assertThat(Files.readString(ROOT.resolve("kind-config.yaml"))).containsPattern("image: kindest/node:v1\\.3[0-9]\\.\\d+@sha256:[0-9a-f]{64}");
    // down wipes the uid-185 files through the node container before the node goes; recover waits for a new
    // submission (OpsCli recover)
    String down = make("-n", "down");
    assertThat(down).contains("docker exec clickstream-control-plane find /clickstream-data -mindepth 1 -delete");
    assertThat(down.indexOf("find /clickstream-data")).isLessThan(down.indexOf("kind delete cluster"));
    // e2e builds the tars the test imports into k3s and runs only the e2e test, with its progress on the console
    String e2e = make("-n", "e2e");
    assertThat(e2e).contains("jib:buildTar").contains("-pl deploy test -Dtest=EndToEndK3sTest")
        .contains("-Dclickstream.e2e=true").contains("-Dtest.redirectOutput=false");
    assertThat(e2e.indexOf("jib:buildTar")).isLessThan(e2e.indexOf("EndToEndK3sTest"));
    assertThat(make("-n", "diagnose")).contains("OpsCli --namespace clickstream --release clickstream diagnose --output target/diagnose");
    assertThat(make("-n", "test")).doesNotContain("clickstream.fixtures");
    assertThat(make("-n", "test", "FIXTURES=containers")).contains("install -Dclickstream.fixtures=containers");
    assertThat(make("-n", "recompute", "FROM=2026-11-23T12:00:00Z", "TO=2026-11-23T13:00:00Z"))
        .contains("dev.clickstream.app.Recompute --from '2026-11-23T12:00:00Z' --to '2026-11-23T13:00:00Z'");
    assertThat(make("-n", "recover")).contains("dev.clickstream.ops.OpsCli --namespace clickstream --release clickstream recover");
    assertThat(make("-n", "monitoring")).contains("prometheus-community/kube-prometheus-stack").contains("--version 88.2.0").contains("-f k8s/monitoring-values.yaml");
    assertThat(make("-n", "kafka-ui")).contains("kafbat/kafka-ui --version 1.5.3").contains("-f k8s/kafka-ui-values.yaml");
    assertThat(make("-n", "grafana")).contains("port-forward svc/kube-prometheus-stack-grafana 3000:80");
    assertThat(make("-n", "spark-ui")).contains("port-forward pod/clickstream-pipeline-driver 4040:4040");
    assertThat(make("-n", "monitoring-local")).contains("--config.file=local/prometheus.yml");
    // Grafana's sidecar and Prometheus must pick up the chart's objects without release labels
    assertThat(Files.readString(ROOT.resolve("k8s/monitoring-values.yaml"))).contains("searchNamespace: ALL")
        .contains("ruleSelectorNilUsesHelmValues: false").contains("serviceMonitorSelectorNilUsesHelmValues: false")
        .contains("podMonitorSelectorNilUsesHelmValues: false").contains("labelValue: \"1\"");
    assertThat(make("-n", "deploy")).contains("helm upgrade --install clickstream helm/clickstream").contains("--wait");
    assertThat(Files.readString(ROOT.resolve("kind-config.yaml"))).contains("containerPath: /clickstream-data");
    assertThat(Files.readString(ROOT.resolve("k8s/data-pv.yaml"))).contains("path: /clickstream-data")
        .contains("storageClassName: clickstream-hostpath");
  }
}
