package dev.clickstream.app;

import dev.clickstream.app.metrics.BatchTimeParts;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per micro-batch per query, from Spark's {@link StreamingQueryProgress}:
 * {@code query=analytics batch=12 inputRows=5000 inputRowsPerSec=2500.0 processedRowsPerSec=4100.0
 * durationMs=1220 partsMs=latestOffset:3,queryPlanning:41,walCommit:12,addBatch:1130,commitOffsets:9,stateUpdates:310,
 * stateRemovals:20,stateCommit:48 watermark=2026-11-23T12:28:00.000Z stateRows=310 droppedByWatermark=17}: partsMs
 * says where the micro-batch's time went ({@link BatchTimeParts}: the driver's phases, then the state operators'
 * task time).
 * Failed queries are logged with their cause when they terminate (at ERROR; the survived Spark bug of
 * {@link QuerySupervisor#isKafkaMetricsBug} at WARN).
 */
public final class MicroBatchLog extends StreamingQueryListener {
  private static final Logger LOG = LoggerFactory.getLogger("dev.clickstream.microbatch");

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    LOG.info("query={} started id={} runId={}", event.name(), event.id(), event.runId());
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    LOG.info(format(event.progress()));
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {
    // no new data: nothing to log
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    if (event.exception().isDefined() && QuerySupervisor.isKafkaMetricsBug(event.exception().get())) {
      // survived: the supervisor restarts the query on its checkpoint (or, stopping, counts it as stopped)
      LOG.warn("query id={} hit SPARK-55271 (a NullPointerException in KafkaMicroBatchStream.metrics after a replayed "
          + "micro-batch, whose output is committed): restarted on its checkpoint unless stopping", event.id());
    } else if (event.exception().isDefined()) {
      LOG.error("query id={} failed: {}", event.id(), event.exception().get().lines().findFirst().orElse(""));
    } else {
      LOG.info("query id={} stopped", event.id());
    }
  }

  /**
   * @param p a progress report
   * @return the one-line summary
   */
  static String format(StreamingQueryProgress p) {
    long stateRows = 0;
    long dropped = 0;
    for (StateOperatorProgress op : p.stateOperators()) {
      stateRows += op.numRowsTotal();
      dropped += op.numRowsDroppedByWatermark();
    }
    long inputRows = 0;
    for (SourceProgress s : p.sources()) {
      inputRows += s.numInputRows();
    }
    Long duration = p.durationMs().get("triggerExecution");
    String watermark = p.eventTime().get("watermark");
    return String.format("query=%s batch=%d inputRows=%d inputRowsPerSec=%.1f processedRowsPerSec=%.1f durationMs=%d "
            + "partsMs=%s watermark=%s stateRows=%d droppedByWatermark=%d",
        p.name(), p.batchId(), inputRows, p.inputRowsPerSecond(), p.processedRowsPerSecond(),
        duration == null ? 0 : duration, BatchTimeParts.format(BatchTimeParts.of(p)), watermark == null ? "unset" : watermark, stateRows, dropped);
  }
}
