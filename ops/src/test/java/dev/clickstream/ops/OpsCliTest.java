package dev.clickstream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.testkit.FreePorts;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Set-up problems are one line and exit 2, before any check runs. */
class OpsCliTest {
  private final PrintStream originalErr = System.err;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void restore() {
    System.setErr(originalErr);
    System.clearProperty("kubeconfig");
    System.clearProperty("kubernetes.connection.timeout");
    System.clearProperty("kubernetes.request.timeout");
  }

  private int runWith(Path dir, String server, String... args) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters: [{name: test, cluster: {server: "%s"}}]
        contexts: [{name: kind-test, context: {cluster: test, user: test}}]
        current-context: kind-test
        users: [{name: test, user: {token: x}}]
        """.formatted(server));
    System.setProperty("kubeconfig", kubeconfig.toString());
    System.setProperty("kubernetes.connection.timeout", "2000");
    System.setProperty("kubernetes.request.timeout", "2000");
    System.setErr(new PrintStream(err, true));
    return OpsCli.run(args);
  }

  @Test
  void noClusterIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
    int status = runWith(dir, "http://127.0.0.1:" + FreePorts.next(), "verify", "--timeout", "5");
    assertThat(status).isEqualTo(2);
    assertThat(err.toString().strip()).startsWith("clickstream-ops: no Kubernetes cluster reachable with context kind-test")
        .doesNotContain("\n");
  }

  @Test
  void missingOperatorsAreOneLineAndExitTwo(@TempDir Path dir) throws Exception {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    try {
      int status = runWith(dir, server.url("/").replaceAll("/$", ""), "drill", "--target", "driver");
      assertThat(status).isEqualTo(2);
      assertThat(err.toString().strip())
          .isEqualTo("clickstream-ops: CRD kafkas.kafka.strimzi.io missing in context kind-test: install the operators (make operators)");
    } finally {
      server.destroy();
    }
  }

  @Test
  void aBadTargetIsAUsageError(@TempDir Path dir) throws Exception {
    assertThat(runWith(dir, "http://127.0.0.1:1", "drill", "--target", "zookeeper")).isEqualTo(2);
  }
}
