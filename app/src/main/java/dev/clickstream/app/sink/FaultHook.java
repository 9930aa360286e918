package dev.clickstream.app.sink;

import dev.clickstream.app.config.Settings.FaultPoint;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * FAULT_HALT_AFTER_BATCH, for crash tests: halts the JVM right after a sink has written one micro-batch of one
 * query and before Spark commits it, the one moment where a crash makes Spark replay a batch whose output is
 * already written. The test then sees {@code offsets/<n>} without {@code commits/<n>} in the checkpoint and can
 * prove that the replay leaves the same rows. Does nothing unless that setting is given.
 *
 * <p>A listener on the session's streaming queries learns the id of the query with the armed name when it starts
 * ({@code onQueryStarted} runs before {@code start()} returns, so before the query's first micro-batch: Spark's
 * StreamingQueryListener doc); a sink's {@code foreachBatch} function finds its query's id in Spark's local
 * property {@code sql.streaming.queryId}.
 *
 * <p>{@link Runtime#halt} (exit status {@value #EXIT_STATUS}, like SIGKILL): no shutdown hooks, no graceful
 * stop, no flushed state, as when a pod is lost.
 */
public final class FaultHook extends StreamingQueryListener {
  /** The exit status of a halt: 128 + SIGKILL's 9, what a killed container reports. */
  public static final int EXIT_STATUS = 137;
  private static volatile FaultPoint armed;
  private static volatile String armedQueryId;

  private final FaultPoint point;

  private FaultHook(FaultPoint point) {
    this.point = point;
  }

  /**
   * @param point where to halt
   * @return the listener to add to the session's streaming queries ({@code spark.streams().addListener})
   */
  public static FaultHook arm(FaultPoint point) {
    armed = point;
    armedQueryId = null;
    return new FaultHook(point);
  }

  /** Nothing halts any more (a session may run another pipeline after this one). */
  public static void disarm() {
    armed = null;
    armedQueryId = null;
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    if (point.query().equals(event.name())) {
      armedQueryId = event.id().toString();
    }
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {}

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}

  /**
   * Called by a sink at the end of its {@code foreachBatch} function, on the query's thread: halts the JVM when
   * this is the armed query and micro-batch.
   *
   * @param spark the micro-batch's session
   * @param batchId the micro-batch id
   */
  static void afterWrite(SparkSession spark, long batchId) {
    FaultPoint point = armed;
    String queryId = armedQueryId;
    if (point == null || point.batchId() != batchId || queryId == null
        || !queryId.equals(spark.sparkContext().getLocalProperty(LakeSink.QUERY_ID_PROPERTY))) {
      return;
    }
    System.err.println("clickstream: FAULT_HALT_AFTER_BATCH=" + point + ": halting after the sink wrote micro-batch "
        + batchId + " of " + point.query() + ", before Spark commits it");
    System.err.flush();
    Runtime.getRuntime().halt(EXIT_STATUS);
  }
}
