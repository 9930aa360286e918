package dev.clickstream.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plan of {@code make e2e} ({@link EndToEndK3sTest}): what runs in which order, with which timeout, on which
 * k3s, and the pieces of it that need no Docker, so that they are tested here.
 */
final class EndToEnd {
  private EndToEnd() {}

  /**
   * k3s v1.34 (Kubernetes 1.34), within what Strimzi 1.2.0 and the Spark operator 2.5.2 support; the kind node of
   * {@code make kind-up} runs 1.35.
   */
  static final String K3S_IMAGE = "rancher/k3s:v1.34.1-k3s1";
  static final Path ROOT = Path.of("..");
  static final Path K3S_VALUES = ROOT.resolve("k8s/k3s-values.yaml");
  /** The Jib tars of {@code make image-tars}. */
  static final List<Path> IMAGE_TARS = List.of(ROOT.resolve("app/target/image/jib-image.tar"),
      ROOT.resolve("producer/target/jib-image.tar"));

  /** A step of the run and how long it may take. */
  record Step(String name, Duration timeout) {}

  /** In order: images before the workloads that use them, operators before the resources they reconcile. */
  static final List<Step> STEPS = List.of(
      new Step("import the images into k3s", Duration.ofMinutes(5)),
      new Step("install Strimzi", Duration.ofMinutes(5)),
      new Step("install the Spark operator", Duration.ofMinutes(5)),
      new Step("create the namespace (restricted)", Duration.ofMinutes(1)),
      new Step("install the chart", Duration.ofMinutes(15)),
      new Step("ops verify", Duration.ofMinutes(15)),
      new Step("ops drill driver", Duration.ofMinutes(10)),
      new Step("ops drill executor", Duration.ofMinutes(10)));

  /** @return the timeout of the step of that name */
  static Duration timeout(String step) {
    return STEPS.stream().filter(s -> s.name().equals(step)).findFirst().orElseThrow().timeout();
  }

  /**
   * @param tarInContainer where the image tar was copied inside the k3s container
   * @return the command that imports it into the containerd namespace k3s's kubelet uses ({@code k8s.io})
   */
  static List<String> importCommand(String tarInContainer) {
    return List.of("ctr", "--namespace", "k8s.io", "images", "import", tarInContainer);
  }

  /**
   * @param variable a Makefile variable such as {@code STRIMZI_VERSION}
   * @return its default ({@code NAME ?= value}): the e2e installs the versions {@code make operators} pins
   * @throws IOException when the Makefile cannot be read
   * @throws IllegalStateException when the variable is not there
   */
  static String makefileDefault(String variable) throws IOException {
    Matcher m = Pattern.compile("(?m)^" + variable + " \\?= (\\S+)$").matcher(Files.readString(ROOT.resolve("Makefile")));
    if (!m.find()) {
      throw new IllegalStateException("Makefile has no " + variable + " ?= ...");
    }
    return m.group(1);
  }
}
