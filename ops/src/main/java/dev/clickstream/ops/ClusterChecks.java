package dev.clickstream.ops;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Waits for the platform's pieces to be ready, through the Kubernetes API (fabric8 client): the Strimzi
 * {@code Kafka}, {@code KafkaTopic}s and the driver's {@code KafkaUser} (condition Ready=True), pods (condition Ready=True), the
 * {@code SparkApplication} (status.applicationState.state RUNNING), a new driver pod after a deletion.
 * Each wait polls every {@code poll}, prints a progress line every 10 s, and throws {@link CheckFailed} naming
 * the resource and its last state when {@code timeout} passes.
 */
public final class ClusterChecks {
  /** Strimzi's API (kafka.strimzi.io/v1, Strimzi 1.2). */
  public static final String STRIMZI = "kafka.strimzi.io/v1";
  /** The Kubeflow Spark Operator's API. */
  public static final String SPARK_OPERATOR = "sparkoperator.k8s.io/v1beta2";

  private final KubernetesClient client;
  private final String namespace;
  private final Duration poll;
  private final PrintStream progress;

  /**
   * @param client a connected client
   * @param namespace the namespace of the release
   * @param poll time between polls
   * @param progress where progress lines go
   */
  public ClusterChecks(KubernetesClient client, String namespace, Duration poll, PrintStream progress) {
    this.client = client;
    this.namespace = namespace;
    this.poll = poll;
    this.progress = progress;
  }

  /**
   * @param name Kafka resource name
   * @param timeout how long to wait
   * @throws CheckFailed when it is not Ready in time
   */
  public void awaitKafkaReady(String name, Duration timeout) {
    awaitCondition(STRIMZI, "Kafka", name, System.nanoTime() + timeout.toNanos(), timeout);
  }

  /**
   * @param names KafkaTopic resource names
   * @param timeout how long to wait for all of them
   * @throws CheckFailed naming the first topic not Ready in time
   */
  public void awaitTopicsReady(List<String> names, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (String name : names) {
      awaitCondition(STRIMZI, "KafkaTopic", name, deadline, timeout);
    }
  }

  /**
   * @param name KafkaUser resource name (Strimzi's User Operator has created its credentials and ACLs when Ready)
   * @param timeout how long to wait
   * @throws CheckFailed when it is not Ready in time
   */
  public void awaitKafkaUserReady(String name, Duration timeout) {
    awaitCondition(STRIMZI, "KafkaUser", name, System.nanoTime() + timeout.toNanos(), timeout);
  }

  private void awaitCondition(String apiVersion, String kind, String name, long deadline, Duration timeout) {
    await(kind + " " + name + " Ready", deadline, timeout, () -> {
      GenericKubernetesResource r = client.genericKubernetesResources(apiVersion, kind).inNamespace(namespace).withName(name).get();
      if (r == null) {
        return new State(false, "missing");
      }
      return readyCondition(r);
    });
  }

  /**
   * @param podName pod name
   * @param timeout how long to wait
   * @throws CheckFailed when the pod is not Ready in time
   */
  public void awaitPodReady(String podName, Duration timeout) {
    await("pod " + podName + " Ready", timeout, () -> podState(client.pods().inNamespace(namespace).withName(podName).get()));
  }

  /**
   * @param name SparkApplication name
   * @param timeout how long to wait
   * @throws CheckFailed when it is not RUNNING in time
   */
  public void awaitSparkApplicationRunning(String name, Duration timeout) {
    await("SparkApplication " + name + " RUNNING", timeout, () -> {
      String state = sparkApplicationState(name);
      return new State("RUNNING".equals(state), state == null ? "no state yet" : state);
    });
  }

  /**
   * @param name SparkApplication name
   * @return status.applicationState.state, or null
   */
  public String sparkApplicationState(String name) {
    Object status = sparkApplication(client, namespace, name).getAdditionalProperties().get("status");
    if (status instanceof Map<?, ?> s && s.get("applicationState") instanceof Map<?, ?> a) {
      return Objects.toString(a.get("state"), null);
    }
    return null;
  }

  /**
   * Deletes a pod and waits until a pod of that name with another uid is Ready (the operator's resubmission,
   * or the StatefulSet's replacement).
   *
   * @param podName pod name (e.g. clickstream-pipeline-driver)
   * @param timeout how long to wait for the replacement
   * @return seconds from the deletion to the replacement being Ready
   * @throws CheckFailed when the pod does not exist or no replacement is Ready in time
   */
  public double deleteAndAwaitReplacement(String podName, Duration timeout) {
    Pod before = client.pods().inNamespace(namespace).withName(podName).get();
    if (before == null) {
      throw new CheckFailed("pod " + podName + " does not exist in namespace " + namespace);
    }
    String oldUid = before.getMetadata().getUid();
    long start = System.nanoTime();
    client.pods().inNamespace(namespace).withName(podName).delete();
    await("a new pod " + podName + " Ready", timeout, () -> {
      Pod now = client.pods().inNamespace(namespace).withName(podName).get();
      if (now == null) {
        return new State(false, "deleted, no replacement yet");
      }
      if (oldUid.equals(now.getMetadata().getUid())) {
        return new State(false, "old pod still there");
      }
      return podState(now);
    });
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * Deletes the driver pod and waits for the operator's resubmission: a new driver pod (another uid) Ready, a new
   * submission id, the application RUNNING. Right after the deletion the application still reads RUNNING from the
   * old submission, so RUNNING alone is not enough.
   *
   * @param app SparkApplication name
   * @param driverPod its driver pod's name
   * @param timeout how long each wait may take
   * @return seconds from the deletion to the new driver pod being Ready
   * @throws CheckFailed when the pod or the application does not exist, or a wait times out
   */
  public double deleteDriverAndAwaitResubmission(String app, String driverPod, Duration timeout) {
    String previous = submissionId(app);
    double seconds = deleteAndAwaitReplacement(driverPod, timeout);
    String next = awaitNewSubmission(app, previous, timeout);
    awaitSparkApplicationRunning(app, timeout);
    progress.printf("%s resubmitted: submission %s -> %s%n", app, previous, next);
    return seconds;
  }

  /**
   * @param name SparkApplication name
   * @return its {@code status.submissionID} (a new one per submission, Kubeflow Spark Operator v2.5.2
   *     {@code api/v1beta2/sparkapplication_types.go}), or null before the first submission
   * @throws CheckFailed when the application does not exist
   */
  public String submissionId(String name) {
    return sparkApplication(client, namespace, name).getAdditionalProperties().get("status") instanceof Map<?, ?> s
        ? (String) s.get("submissionID") : null;
  }

  /**
   * @param client a connected client
   * @param namespace the release's namespace
   * @param name SparkApplication name
   * @return the SparkApplication, as the API server has it now
   * @throws CheckFailed when it does not exist
   */
  static GenericKubernetesResource sparkApplication(KubernetesClient client, String namespace, String name) {
    GenericKubernetesResource app = client.genericKubernetesResources(SPARK_OPERATOR, "SparkApplication")
        .inNamespace(namespace).withName(name).get();
    if (app == null) {
      throw new CheckFailed("SparkApplication " + name + " does not exist in namespace " + namespace);
    }
    return app;
  }

  /**
   * Waits until the operator has resubmitted the application: its submission id differs from {@code previous}.
   * Right after a driver pod is deleted, the application can still read RUNNING from the old submission (the
   * operator has not noticed yet): waiting for RUNNING alone returns too early.
   *
   * @param name SparkApplication name
   * @param previous the submission id before the deletion
   * @param timeout how long to wait
   * @return the new submission id
   * @throws CheckFailed when no new submission appears in time
   */
  public String awaitNewSubmission(String name, String previous, Duration timeout) {
    String[] seen = new String[1];
    await("a new submission of SparkApplication " + name, timeout, () -> {
      seen[0] = submissionId(name);
      boolean isNew = seen[0] != null && !seen[0].equals(previous);
      return new State(isNew, isNew ? "submission " + seen[0] : "still submission " + previous);
    });
    return seen[0];
  }

  /**
   * Deletes one executor pod of an application and waits until another executor pod of it is Ready. A
   * replacement executor gets a new executor id and so a new pod name ({@code <prefix>-exec-<id>}, Spark 4.1.1
   * {@code BasicExecutorFeatureStep}; ids come from a counter in {@code ExecutorPodsAllocator} and are never
   * reused): waiting for the deleted name would never end.
   *
   * @param app SparkApplication name: executor pods carry {@code sparkoperator.k8s.io/app-name=<app>} and
   *     {@code spark-role=executor} (operator v2.5.2 {@code submission.go})
   * @param timeout how long to wait for the replacement
   * @return seconds from the deletion to a new executor pod being Ready
   * @throws CheckFailed when the application has no executor pod or no new one is Ready in time
   */
  public double deleteExecutorAndAwaitReplacement(String app, Duration timeout) {
    List<Pod> before = executorPods(app);
    if (before.isEmpty()) {
      throw new CheckFailed("no executor pod of " + app + " (labels spark-role=executor, sparkoperator.k8s.io/app-name=" + app + ")");
    }
    java.util.Set<String> old = new java.util.HashSet<>();
    before.forEach(p -> old.add(p.getMetadata().getName()));
    String victim = before.get(0).getMetadata().getName();
    long start = System.nanoTime();
    client.pods().inNamespace(namespace).withName(victim).delete();
    progress.printf("deleted executor pod %s%n", victim);
    await("a new executor pod of " + app + " Ready", timeout, () -> {
      for (Pod p : executorPods(app)) {
        if (!old.contains(p.getMetadata().getName()) && podState(p).done()) {
          return new State(true, p.getMetadata().getName() + " Ready");
        }
      }
      return new State(false, "no new executor pod Ready yet");
    });
    return (System.nanoTime() - start) / 1e9;
  }

  private List<Pod> executorPods(String app) {
    return client.pods().inNamespace(namespace).withLabel("spark-role", "executor")
        .withLabel("sparkoperator.k8s.io/app-name", app).list().getItems();
  }

  /** A polled state: done or not, and a word for the progress line. */
  record State(boolean done, String detail) {}

  private void await(String what, Duration timeout, Supplier<State> probe) {
    await(what, System.nanoTime() + timeout.toNanos(), timeout, probe);
  }

  /** Polls until done or {@code deadline} (System.nanoTime); the message names {@code timeout}, the user's limit. */
  private void await(String what, long deadline, Duration timeout, Supplier<State> probe) {
    long start = System.nanoTime();
    long nextProgress = start;
    State last = new State(false, "not checked");
    while (true) {
      try {
        last = probe.get();
      } catch (KubernetesClientException e) {
        last = new State(false, "API error " + e.getCode());
      }
      if (last.done()) {
        return;
      }
      long now = System.nanoTime();
      if (now >= deadline) {
        throw new CheckFailed(what + ": not reached after " + timeout.toSeconds() + " s (last: " + last.detail() + ")");
      }
      if (now >= nextProgress) {
        progress.printf("waiting for %s ... %s (%d s)%n", what, last.detail(), (now - start) / 1_000_000_000L);
        nextProgress = now + 10_000_000_000L;
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CheckFailed(what + ": interrupted");
      }
    }
  }

  private static State podState(Pod pod) {
    if (pod == null) {
      return new State(false, "missing");
    }
    boolean ready = pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    String phase = pod.getStatus() == null ? "no status" : pod.getStatus().getPhase();
    return new State(ready, ready ? "Ready" : String.valueOf(phase));
  }

  @SuppressWarnings("unchecked")
  private static State readyCondition(GenericKubernetesResource r) {
    Object status = r.getAdditionalProperties().get("status");
    if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> conditions) {
      for (Object c : conditions) {
        if (c instanceof Map<?, ?> m && "Ready".equals(m.get("type"))) {
          boolean ready = "True".equals(String.valueOf(m.get("status")));
          return new State(ready, ready ? "Ready" : "NotReady" + (m.get("reason") == null ? "" : ": " + m.get("reason")));
        }
      }
    }
    return new State(false, "no Ready condition yet");
  }
}
