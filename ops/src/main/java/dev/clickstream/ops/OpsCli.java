package dev.clickstream.ops;

import dev.clickstream.contract.Query;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clickstream-ops verify}, {@code clickstream-ops drill --target driver|executor|postgres|kafka} and
 * {@code clickstream-ops recover} and {@code clickstream-ops diagnose --output DIR} against the cluster of the current
 * kubeconfig context. Topic, database and lake
 * names come from the release's SparkApplication ({@link ReleaseSettings}). Exit status: 0 all checks passed, 1 a check failed
 * (named in the last line), 2 no cluster, wrong context or missing CRDs (one line).
 */
@Command(name = "clickstream-ops", mixinStandardHelpOptions = true, subcommands = {OpsCli.Verify.class, OpsCli.Drill.class, OpsCli.Recover.class, OpsCli.Diagnose.class},
    description = "Verify a clickstream installation, or kill one of its pods and prove it recovers exactly.")
public final class OpsCli {
  private static final Pattern BATCH = Pattern.compile("query=(\\S+) batch=(\\d+)");

  @Option(names = "--namespace", defaultValue = "clickstream", scope = CommandLine.ScopeType.INHERIT) String namespace;
  @Option(names = "--release", defaultValue = "clickstream", scope = CommandLine.ScopeType.INHERIT, description = "Helm release name.") String release;
  @Option(names = "--kafka-cluster", defaultValue = "clickstream", scope = CommandLine.ScopeType.INHERIT) String kafkaCluster;
  @Option(names = "--timeout", defaultValue = "300", scope = CommandLine.ScopeType.INHERIT, description = "Seconds per wait.") long timeoutSeconds;
  @Option(names = "--watermark-delay", defaultValue = "120", scope = CommandLine.ScopeType.INHERIT, description = "WATERMARK_DELAY in seconds.") long watermarkSeconds;

  /** @param args {@code verify} or {@code drill --target ...} */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * @param args {@code verify} or {@code drill --target ...}
   * @return the exit status: 0, 1 (a check failed) or 2 (no cluster, wrong context, missing CRDs, bad flags)
   */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new OpsCli());
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof ClusterUnavailable) {
        System.err.println("clickstream-ops: " + e.getMessage());
        return 2;
      }
      System.err.println("clickstream-ops: FAILED: " + e.getMessage());
      return 1;
    });
    return cl.execute(args);
  }

  /** No cluster, wrong context, missing CRDs: the user must fix the setup (exit 2). */
  static final class ClusterUnavailable extends RuntimeException {
    ClusterUnavailable(String message) {
      super(message);
    }
  }

  /** A client of a reachable cluster, checked for nothing else (diagnose must work when the operators are missing). */
  KubernetesClient connectToCluster() {
    KubernetesClient client = new KubernetesClientBuilder().build();
    try {
      client.getKubernetesVersion();
    } catch (RuntimeException e) {
      client.close();
      throw new ClusterUnavailable("no Kubernetes cluster reachable with context " + context(client) + " (" + client.getMasterUrl() + ")");
    }
    return client;
  }

  private static String context(KubernetesClient client) {
    return client.getConfiguration().getCurrentContext() == null ? "(none)" : client.getConfiguration().getCurrentContext().getName();
  }

  KubernetesClient connect() {
    KubernetesClient client = connectToCluster();
    String context = context(client);
    for (String crd : List.of("kafkas.kafka.strimzi.io", "kafkatopics.kafka.strimzi.io", "sparkapplications.sparkoperator.k8s.io")) {
      if (client.apiextensions().v1().customResourceDefinitions().withName(crd).get() == null) {
        client.close();
        throw new ClusterUnavailable("CRD " + crd + " missing in context " + context + ": install the operators (make operators)");
      }
    }
    if (client.namespaces().withName(namespace).get() == null) {
      client.close();
      throw new ClusterUnavailable("namespace " + namespace + " does not exist in context " + context + " (make deploy)");
    }
    return client;
  }

  String driverPod() {
    return release + "-pipeline-driver";
  }

  String application() {
    return release + "-pipeline";
  }

  /** Committed micro-batches per query, read from the driver's log lines {@code query=<name> batch=<id>}. */
  static Map<String, Long> batchesPerQuery(String log) {
    Map<String, Long> batches = new LinkedHashMap<>();
    Query.names().forEach(q -> batches.put(q, 0L)); // each must show committed micro-batches
    Matcher m = BATCH.matcher(log);
    while (m.find()) {
      batches.computeIfPresent(m.group(1), (k, v) -> v + 1);
    }
    return batches;
  }

  /**
   * A connection to the release's database as its read-only role, through a port-forward to its Postgres service
   * (added to resources). The role's name and the Secret of its password are read from the Postgres StatefulSet's
   * environment (READER_ROLE, READER_PASSWORD), where the chart puts them.
   */
  Connection openResults(KubernetesClient client, String database, List<AutoCloseable> resources) throws Exception {
    String statefulSet = release + "-postgres";
    var postgres = client.apps().statefulSets().inNamespace(namespace).withName(statefulSet).get();
    if (postgres == null) {
      throw new CheckFailed("StatefulSet " + statefulSet + " missing");
    }
    var env = postgres.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    var role = env.stream().filter(e -> e.getName().equals("READER_ROLE")).findFirst()
        .orElseThrow(() -> new CheckFailed("StatefulSet " + statefulSet + " names no READER_ROLE"));
    var passwordRef = env.stream().filter(e -> e.getName().equals("READER_PASSWORD")).findFirst()
        .map(e -> e.getValueFrom().getSecretKeyRef())
        .orElseThrow(() -> new CheckFailed("StatefulSet " + statefulSet + " names no READER_PASSWORD"));
    var secret = client.secrets().inNamespace(namespace).withName(passwordRef.getName()).get();
    if (secret == null || secret.getData() == null || !secret.getData().containsKey(passwordRef.getKey())) {
      throw new CheckFailed("Secret " + passwordRef.getName() + " (key " + passwordRef.getKey() + ") missing");
    }
    String password = new String(Base64.getDecoder().decode(secret.getData().get(passwordRef.getKey())), StandardCharsets.UTF_8);
    LocalPortForward forward = client.services().inNamespace(namespace).withName(release + "-postgres").portForward(5432);
    resources.add(forward);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + forward.getLocalPort() + "/" + database,
        role.getValue(), password);
  }

  static void table(PrintStream out, List<String[]> rows) {
    out.printf("%-42s %-6s %s%n", "check", "result", "figures");
    rows.forEach(r -> out.printf("%-42s %-6s %s%n", r[0], r[1], r[2]));
  }

  @Command(name = "verify", description = "Wait until everything is ready and producing results; print what was checked.")
  static final class Verify implements Callable<Integer> {
    @ParentCommand OpsCli ops;
    private String lakeLog;

    @Override
    public Integer call() throws Exception {
      List<String[]> rows = new ArrayList<>();
      Duration timeout = Duration.ofSeconds(ops.timeoutSeconds);
      List<AutoCloseable> resources = new ArrayList<>();
      try (KubernetesClient client = ops.connect()) {
        ClusterChecks checks = new ClusterChecks(client, ops.namespace, Duration.ofSeconds(2), System.out);
        ReleaseSettings release = ReleaseSettings.read(client, ops.namespace, ops.application());
        lakeLog = release.lakeLog();
        String failing = "Kafka " + ops.kafkaCluster + " Ready";
        try {
          long t = System.nanoTime();
          checks.awaitKafkaReady(ops.kafkaCluster, timeout);
          rows.add(new String[] {failing, "ok", seconds(t)});
          failing = "KafkaTopics Ready";
          t = System.nanoTime();
          checks.awaitTopicsReady(release.topicResources(), timeout);
          rows.add(new String[] {failing, "ok", release.topicResources().size() + " topics, " + seconds(t)});
          if (release.kafkaUser().isPresent()) {
            failing = "KafkaUser " + release.kafkaUser().get() + " Ready";
            t = System.nanoTime();
            checks.awaitKafkaUserReady(release.kafkaUser().get(), timeout);
            rows.add(new String[] {failing, "ok", seconds(t)});
          }
          failing = "Postgres pod Ready";
          t = System.nanoTime();
          checks.awaitPodReady(ops.release + "-postgres-0", timeout);
          rows.add(new String[] {failing, "ok", seconds(t)});
          failing = "SparkApplication RUNNING";
          t = System.nanoTime();
          checks.awaitSparkApplicationRunning(ops.application(), timeout);
          rows.add(new String[] {failing, "ok", seconds(t)});
          failing = "micro-batches committed by every query";
          Map<String, Long> batches = awaitBatches(client, timeout);
          rows.add(new String[] {failing, "ok", batches.toString()});
          failing = "result tables filling";
          try (Connection db = ops.openResults(client, release.database(), resources)) {
            ResultSnapshot first = ResultSnapshot.take(db, Duration.ofSeconds(ops.watermarkSeconds));
            Thread.sleep(30_000);
            ResultSnapshot second = ResultSnapshot.take(db, Duration.ofSeconds(ops.watermarkSeconds));
            if (second.totalRows() <= first.totalRows()) {
              throw new CheckFailed("result tables did not grow in 30 s (" + first.totalRows() + " rows)");
            }
            rows.add(new String[] {failing, "ok", first.totalRows() + " -> " + second.totalRows() + " rows in 30 s"});
          }
          // the lake query commits once per LAKE_TRIGGER_INTERVAL (1 minute by default): wait for the next commit
          failing = "lake commits growing";
          t = System.nanoTime();
          long version1 = lakeVersion(client);
          long version2 = version1;
          long added = 0;
          long deadline = System.nanoTime() + timeout.toNanos();
          while (added <= 0 && System.nanoTime() < deadline) {
            Thread.sleep(5_000);
            version2 = lakeVersion(client);
            added = version2 > version1 ? LakeLog.addedRows(driverShell(client, "cd " + lakeLog + " && for v in $(seq "
                + (version1 + 1) + " " + version2 + "); do cat $(printf '%020d.json' $v); done")) : 0;
          }
          if (added <= 0) {
            throw new CheckFailed("no rows committed to the lake in " + seconds(t) + " (version " + version1 + " -> "
                + version2 + ")");
          }
          rows.add(new String[] {failing, "ok", "version " + version1 + " -> " + version2 + ", " + added + " rows in "
              + seconds(t)});
          table(System.out, rows);
          return 0;
        } catch (CheckFailed e) {
          rows.add(new String[] {failing, "FAILED", e.getMessage()});
          table(System.out, rows);
          throw new CheckFailed(failing + ": " + e.getMessage());
        }
      } finally {
        for (AutoCloseable r : resources) {
          r.close();
        }
      }
    }

    private Map<String, Long> awaitBatches(KubernetesClient client, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      Map<String, Long> batches;
      do {
        String log = client.pods().inNamespace(ops.namespace).withName(ops.driverPod()).getLog();
        batches = batchesPerQuery(log == null ? "" : log);
        if (batches.values().stream().allMatch(n -> n > 0)) {
          return batches;
        }
        Thread.sleep(5_000);
      } while (System.nanoTime() < deadline);
      throw new CheckFailed("no committed micro-batch yet for " + batches.entrySet().stream()
          .filter(e -> e.getValue() == 0).map(Map.Entry::getKey).toList());
    }

    private long lakeVersion(KubernetesClient client) throws Exception {
      return LakeLog.latestVersion(driverShell(client, "ls " + lakeLog))
          .orElseThrow(() -> new CheckFailed("no Delta commit in " + lakeLog));
    }

    private String driverShell(KubernetesClient client, String command) throws Exception {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (var exec = client.pods().inNamespace(ops.namespace).withName(ops.driverPod()).writingOutput(out)
          .exec("sh", "-c", command)) {
        exec.exitCode().get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  @Command(name = "drill", description = "Snapshot the final results, delete a pod, wait for recovery, and check nothing final changed.")
  static final class Drill implements Callable<Integer> {
    @ParentCommand OpsCli ops;

    @Option(names = "--target", required = true, description = "driver, executor, postgres or kafka")
    Target target;

    enum Target { driver, executor, postgres, kafka }

    @Override
    public Integer call() throws Exception {
      Duration timeout = Duration.ofSeconds(ops.timeoutSeconds);
      Duration watermark = Duration.ofSeconds(ops.watermarkSeconds);
      List<AutoCloseable> resources = new ArrayList<>();
      try (KubernetesClient client = ops.connect()) {
        ClusterChecks checks = new ClusterChecks(client, ops.namespace, Duration.ofSeconds(1), System.out);
        String database = ReleaseSettings.read(client, ops.namespace, ops.application()).database();
        ResultSnapshot before;
        try (Connection db = ops.openResults(client, database, resources)) {
          before = ResultSnapshot.take(db, watermark);
        }
        String pod = podOf();
        System.out.printf("snapshot: %d final page-view windows, %d final active-user windows, %d final sessions; deleting %s%n",
            before.pageViews().size(), before.activeUsers().size(), before.finalSessions(), pod);
        double replaced = switch (target) {
          case driver -> checks.deleteDriverAndAwaitResubmission(ops.application(), pod, timeout); // ends RUNNING
          case executor -> checks.deleteExecutorAndAwaitReplacement(ops.application(), timeout);
          case postgres, kafka -> checks.deleteAndAwaitReplacement(pod, timeout);
        };
        if (target != Target.driver) {
          checks.awaitSparkApplicationRunning(ops.application(), timeout);
        }
        long start = System.nanoTime();
        awaitNewBatch(client, timeout);
        double downtime = replaced + (System.nanoTime() - start) / 1e9;
        Thread.sleep(60_000); // let a few micro-batches land
        ResultSnapshot after;
        try (Connection db = ops.openResults(client, database, resources)) {
          after = ResultSnapshot.take(db, watermark);
        }
        List<String> problems = before.violationsIn(after);
        table(System.out, List.of(
            new String[] {"pod " + pod + " replaced", "ok", String.format("%.1f s", replaced)},
            new String[] {"downtime (delete -> first new micro-batch)", "ok", String.format("%.1f s", downtime)},
            new String[] {"final windows and sessions unchanged", problems.isEmpty() ? "ok" : "FAILED",
                problems.isEmpty() ? before.pageViews().size() + before.activeUsers().size() + " windows" : String.join("; ", problems)},
            new String[] {"results growing", after.totalRows() > before.totalRows() ? "ok" : "FAILED",
                before.totalRows() + " -> " + after.totalRows() + " rows"}));
        if (!problems.isEmpty()) {
          throw new CheckFailed(problems.get(0));
        }
        return 0;
      } finally {
        for (AutoCloseable r : resources) {
          r.close();
        }
      }
    }

    private String podOf() {
      return switch (target) {
        case driver -> ops.driverPod();
        case postgres -> ops.release + "-postgres-0";
        case kafka -> ops.kafkaCluster + "-dual-role-0";
        case executor -> "an executor pod of " + ops.application(); // its replacement has another name
      };
    }

    private void awaitNewBatch(KubernetesClient client, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      String driver = ops.driverPod();
      long initial = -1;
      while (System.nanoTime() < deadline) {
        String log = client.pods().inNamespace(ops.namespace).withName(driver).getLog();
        long total = batchesPerQuery(log == null ? "" : log).values().stream().mapToLong(Long::longValue).sum();
        if (initial < 0) {
          initial = target == Target.driver ? 0 : total;
        } else if (total > initial) {
          return;
        }
        Thread.sleep(2_000);
      }
      throw new CheckFailed("no new micro-batch within " + timeout.toSeconds() + " s after deleting the " + target);
    }
  }

  @Command(name = "recover", description = "Delete the driver pod, wait for the operator's new submission, a RUNNING "
      + "application and a Ready driver, and print the first micro-batches it ran on its checkpoints.")
  static final class Recover implements Callable<Integer> {
    @ParentCommand OpsCli ops;

    @Override
    public Integer call() throws Exception {
      Duration timeout = Duration.ofSeconds(ops.timeoutSeconds);
      try (KubernetesClient client = ops.connect()) {
        ClusterChecks checks = new ClusterChecks(client, ops.namespace, Duration.ofSeconds(2), System.out);
        recover(client, checks, ops, timeout);
        return 0;
      }
    }

    /**
     * The steps of {@code make recover}: the driver pod deleted and resubmitted
     * ({@link ClusterChecks#deleteDriverAndAwaitResubmission}, which does not trust the old submission's RUNNING),
     * then the new driver's first micro-batch lines.
     */
    static void recover(KubernetesClient client, ClusterChecks checks, OpsCli ops, Duration timeout) throws InterruptedException {
      double seconds = checks.deleteDriverAndAwaitResubmission(ops.application(), ops.driverPod(), timeout);
      System.out.printf("the new driver was Ready %.1f s after the deletion; its first micro-batches (on the old checkpoints):%n", seconds);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String log = client.pods().inNamespace(ops.namespace).withName(ops.driverPod()).getLog();
        List<String> lines = log == null ? List.of() : log.lines().filter(l -> BATCH.matcher(l).find()).limit(12).toList();
        if (!lines.isEmpty()) {
          lines.forEach(System.out::println);
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new CheckFailed("no micro-batch in the new driver's log after " + timeout.toSeconds() + " s");
        }
        Thread.sleep(2_000);
      }
    }
  }

  @Command(name = "diagnose", description = "Write the SparkApplication, pods, events, Strimzi conditions and the driver's log tail to a directory.")
  static final class Diagnose implements Callable<Integer> {
    @ParentCommand OpsCli ops;
    @Option(names = "--output", defaultValue = "target/diagnose", description = "Directory for the files.") Path output;

    @Override
    public Integer call() throws Exception {
      try (KubernetesClient client = ops.connectToCluster()) {
        for (Path file : Diagnostics.write(client, ops.namespace, ops.application(), ops.driverPod(), output)) {
          System.out.println("wrote " + file);
        }
        return 0;
      }
    }
  }

  private static String seconds(long startNanos) {
    return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
  }
}
