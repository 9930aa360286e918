package dev.clickstream.ops;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to look at when an installation does not come up, written to a directory (`make diagnose`, and
 * `make e2e` on failure): the SparkApplication with its status, every pod's phase and container states (a
 * missing Secret shows as {@code CreateContainerConfigError}, a rejected security context as an event), the
 * namespace's events in time order, the Strimzi resources' Ready conditions, and the tail of the driver's log.
 */
public final class Diagnostics {
  /** Lines of the driver's log kept. */
  static final int LOG_TAIL_LINES = 200;

  private Diagnostics() {}

  /**
   * @param client a connected client
   * @param namespace the release's namespace
   * @param application the SparkApplication's name
   * @param driverPod the driver pod's name
   * @param dir where the files go (created)
   * @return the files written: sparkapplication.yaml, pods.txt, events.txt, strimzi.txt, driver-log-tail.txt
   * @throws IOException when a file cannot be written
   */
  public static List<Path> write(KubernetesClient client, String namespace, String application, String driverPod, Path dir)
      throws IOException {
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    String app;
    try {
      GenericKubernetesResource r = client.genericKubernetesResources(ClusterChecks.SPARK_OPERATOR, "SparkApplication")
          .inNamespace(namespace).withName(application).get();
      app = r == null ? "# no SparkApplication " + application + " in namespace " + namespace + "\n" : Serialization.asYaml(r);
    } catch (RuntimeException e) { // the operator's CRD is missing
      app = "# SparkApplication " + application + ": " + e.getMessage() + "\n";
    }
    files.add(Files.writeString(dir.resolve("sparkapplication.yaml"), app));

    StringBuilder pods = new StringBuilder();
    for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
      pods.append(pod.getMetadata().getName()).append(' ')
          .append(pod.getStatus() == null ? "?" : pod.getStatus().getPhase()).append('\n');
      List<ContainerStatus> statuses = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? List.of()
          : pod.getStatus().getContainerStatuses();
      for (ContainerStatus c : statuses) {
        pods.append("  ").append(c.getName()).append(" ready=").append(c.getReady()).append(" restarts=")
            .append(c.getRestartCount()).append(' ').append(state(c)).append('\n');
      }
    }
    files.add(Files.writeString(dir.resolve("pods.txt"), pods.length() == 0 ? "# no pods\n" : pods.toString()));

    StringBuilder events = new StringBuilder();
    client.v1().events().inNamespace(namespace).list().getItems().stream()
        .sorted(Comparator.comparing(Diagnostics::time))
        .forEach(e -> events.append(time(e)).append(' ').append(e.getType()).append(' ').append(e.getReason()).append(' ')
            .append(e.getInvolvedObject() == null ? "" : e.getInvolvedObject().getKind() + "/" + e.getInvolvedObject().getName())
            .append(": ").append(Objects.toString(e.getMessage(), "").strip()).append('\n'));
    files.add(Files.writeString(dir.resolve("events.txt"), events.length() == 0 ? "# no events\n" : events.toString()));

    StringBuilder strimzi = new StringBuilder();
    for (String kind : List.of("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser")) {
      try {
        for (GenericKubernetesResource r : client.genericKubernetesResources(ClusterChecks.STRIMZI, kind).inNamespace(namespace)
            .list().getItems()) {
          strimzi.append(kind).append(' ').append(r.getMetadata().getName()).append(' ').append(conditions(r)).append('\n');
        }
      } catch (RuntimeException e) { // the CRD is missing: say so and go on
        strimzi.append(kind).append(": ").append(e.getMessage()).append('\n');
      }
    }
    files.add(Files.writeString(dir.resolve("strimzi.txt"), strimzi.toString()));

    String log = null;
    if (client.pods().inNamespace(namespace).withName(driverPod).get() != null) {
      try {
        log = client.pods().inNamespace(namespace).withName(driverPod).tailingLines(LOG_TAIL_LINES).getLog();
      } catch (RuntimeException e) { // the container has not started
        log = "# no log of pod " + driverPod + ": " + e.getMessage() + "\n";
      }
    }
    files.add(Files.writeString(dir.resolve("driver-log-tail.txt"),
        log == null ? "# no log of pod " + driverPod + " (not created yet, or gone)\n" : log));
    return files;
  }

  private static String state(ContainerStatus c) {
    if (c.getState() == null) {
      return "";
    }
    if (c.getState().getWaiting() != null) {
      return "waiting " + c.getState().getWaiting().getReason() + ": " + Objects.toString(c.getState().getWaiting().getMessage(), "");
    }
    if (c.getState().getTerminated() != null) {
      return "terminated " + c.getState().getTerminated().getReason() + " exit " + c.getState().getTerminated().getExitCode();
    }
    return "running";
  }

  private static String time(Event e) {
    return Objects.toString(e.getLastTimestamp() != null ? e.getLastTimestamp()
        : e.getEventTime() != null ? e.getEventTime().getTime() : e.getMetadata().getCreationTimestamp(), "");
  }

  @SuppressWarnings("unchecked")
  private static String conditions(GenericKubernetesResource r) {
    if (r.getAdditionalProperties().get("status") instanceof Map<?, ?> status && status.get("conditions") instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (Object o : list) {
        if (o instanceof Map<?, ?> c) {
          out.add(c.get("type") + "=" + c.get("status") + (c.get("message") == null ? "" : " (" + c.get("message") + ")"));
        }
      }
      return String.join(", ", out);
    }
    return "no status yet";
  }
}
