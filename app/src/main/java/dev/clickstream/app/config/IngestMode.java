package dev.clickstream.app.config;

import dev.clickstream.contract.StartupFailure;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the {@code ingest} query runs (INGEST_MODE):
 * <ul>
 *   <li>{@link #MICRO_BATCH}: under TRIGGER_INTERVAL, like the other queries: an event reaches the enriched topic
 *       up to one trigger interval plus one micro-batch after it arrived (seconds);</li>
 *   <li>{@link #REAL_TIME}: Spark 4.1's real-time trigger ({@code Trigger.RealTime}, Structured Streaming guide,
 *       "Real-time mode"): one long-running task per input partition reads and writes each record as it arrives
 *       (milliseconds); a batch ends every REAL_TIME_BATCH_DURATION, which is also how often the checkpoint is
 *       written. It needs a task slot per input partition for as long as it runs.</li>
 * </ul>
 * Both run the same plan (a stateless Kafka -> parse -> Kafka query) on the same checkpoint, so a pipeline may
 * switch between them at a restart.
 */
public enum IngestMode {
  MICRO_BATCH("micro-batch"),
  REAL_TIME("real-time");

  /**
   * Task slots left to the other queries (lake, analytics, user-sessions) beside a real-time ingest query: each of
   * them runs one stage at a time, and two slots are what {@code make run} gave all four queries before real-time
   * mode existed.
   */
  public static final int OTHER_QUERIES_SLOTS = 2;

  private final String text;

  IngestMode(String text) {
    this.text = text;
  }

  @Override
  public String toString() {
    return text;
  }

  /**
   * @param text {@code micro-batch} or {@code real-time} (any case)
   * @return the mode
   * @throws IllegalArgumentException for any other text
   */
  public static IngestMode parse(String text) {
    for (IngestMode m : values()) {
      if (m.text.equalsIgnoreCase(text.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is neither micro-batch nor real-time");
  }

  /**
   * The mode a start uses, and why.
   *
   * @param mode the chosen mode
   * @param reason one line for the start-up log: the mode, the slots and the partitions it was chosen by
   */
  public record Choice(IngestMode mode, String reason) {}

  /**
   * Chooses the ingest query's mode: the requested one, or (INGEST_MODE unset) real-time when the session has a
   * task slot for every input partition plus {@code otherSlots}, else micro-batch.
   *
   * @param requested INGEST_MODE, empty when unset
   * @param taskSlots tasks the session runs at once ({@link #taskSlots})
   * @param inputPartitions partitions of the input topic; 0 when it does not exist yet
   * @param otherSlots slots the other queries of this run need: {@link #OTHER_QUERIES_SLOTS}, or 0 when ingest
   *     runs alone
   * @return the mode and one line saying why
   * @throws StartupFailure when real-time is requested with too few slots: its tasks would wait for slots for
   *     ever (or starve the other queries), so the start is refused naming INGEST_MODE
   */
  public static Choice choose(Optional<IngestMode> requested, int taskSlots, int inputPartitions, int otherSlots) {
    int needed = inputPartitions + otherSlots;
    String arithmetic = taskSlots + " task slots, real-time needs " + inputPartitions + " (one per input partition)"
        + (otherSlots > 0 ? " + " + otherSlots + " for the other queries" : "");
    if (requested.isPresent()) {
      if (requested.get() == REAL_TIME && (inputPartitions == 0 || taskSlots < needed)) {
        throw StartupFailure.badSetting("INGEST_MODE=real-time: " + (inputPartitions == 0
            ? "the input topic does not exist yet, so its partitions are unknown"
            : arithmetic) + "; give Spark more task slots (local[N], or executor instances x cores) or set "
            + "INGEST_MODE=micro-batch");
      }
      return new Choice(requested.get(), "ingest mode " + requested.get() + " (INGEST_MODE; " + arithmetic + ")");
    }
    if (inputPartitions == 0) {
      return new Choice(MICRO_BATCH, "ingest mode micro-batch: the input topic does not exist yet, so real-time "
          + "mode cannot be sized (INGEST_MODE unset)");
    }
    if (taskSlots < needed) {
      return new Choice(MICRO_BATCH, "ingest mode micro-batch: " + arithmetic + " (INGEST_MODE unset; "
          + "give Spark " + needed + " task slots for real-time)");
    }
    return new Choice(REAL_TIME, "ingest mode real-time: " + arithmetic + " (INGEST_MODE unset)");
  }

  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");
  private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),\\s*\\d+]");

  /**
   * The tasks a Spark application runs at once, from its configuration (not from the executors registered so far,
   * which on Kubernetes are still starting when the driver starts its queries).
   *
   * <ul>
   *   <li>{@code local} = 1, {@code local[N]} = N, {@code local[*]} = the processors of this machine;
   *       {@code local-cluster[n,cores,mem]} = n x cores;</li>
   *   <li>otherwise executor instances x {@code spark.executor.cores} / {@code spark.task.cpus} (Spark's
   *       configuration doc: defaults 2 instances, 1 core on Kubernetes, 1 cpu per task); with dynamic allocation,
   *       its {@code minExecutors} (default 0), the only instances it guarantees.</li>
   * </ul>
   *
   * @param conf the application's Spark settings, {@code spark.master} included
   * @param processors processors of this machine, for {@code local[*]}
   * @return task slots, &ge; 0
   */
  public static int taskSlots(Map<String, String> conf, int processors) {
    String master = conf.getOrDefault("spark.master", "local[*]").trim().toLowerCase(Locale.ROOT);
    Matcher local = LOCAL.matcher(master);
    if (local.matches()) {
      return local.group(1) == null ? 1 : local.group(1).equals("*") ? processors : Integer.parseInt(local.group(1));
    }
    Matcher cluster = LOCAL_CLUSTER.matcher(master);
    if (cluster.matches()) {
      return Integer.parseInt(cluster.group(1)) * Integer.parseInt(cluster.group(2));
    }
    return instances(conf) * executorSlots(conf);
  }

  /**
   * The tasks one JVM of the application runs at once: in local mode (one JVM) all of {@link #taskSlots}; in a
   * cluster, one executor's {@code spark.executor.cores / spark.task.cpus} (Spark's defaults 1 and 1).
   *
   * @param conf the application's Spark settings, {@code spark.master} included
   * @param processors processors of this machine, for {@code local[*]}
   * @return task slots of one JVM, &ge; 1
   */
  public static int slotsPerJvm(Map<String, String> conf, int processors) {
    String master = conf.getOrDefault("spark.master", "local[*]").trim().toLowerCase(Locale.ROOT);
    if (LOCAL.matcher(master).matches()) {
      return Math.max(1, taskSlots(conf, processors));
    }
    Matcher cluster = LOCAL_CLUSTER.matcher(master);
    if (cluster.matches()) {
      return Math.max(1, Integer.parseInt(cluster.group(2)));
    }
    return Math.max(1, executorSlots(conf));
  }

  private static int executorSlots(Map<String, String> conf) {
    int cores = Integer.parseInt(conf.getOrDefault("spark.executor.cores", "1"));
    int taskCpus = Integer.parseInt(conf.getOrDefault("spark.task.cpus", "1"));
    return cores / Math.max(1, taskCpus);
  }

  private static int instances(Map<String, String> conf) {
    boolean dynamic = Boolean.parseBoolean(conf.getOrDefault("spark.dynamicAllocation.enabled", "false"));
    return Integer.parseInt(dynamic ? conf.getOrDefault("spark.dynamicAllocation.minExecutors", "0")
        : conf.getOrDefault("spark.executor.instances", "2"));
  }
}
