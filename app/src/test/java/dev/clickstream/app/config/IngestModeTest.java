package dev.clickstream.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.contract.StartupFailure;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IngestModeTest {
  @Test
  void unsetChoosesRealTimeWhenEveryPartitionAndTheOtherQueriesHaveASlot() {
    IngestMode.Choice c = IngestMode.choose(Optional.empty(), 6, 4, IngestMode.OTHER_QUERIES_SLOTS);
    assertThat(c.mode()).isEqualTo(IngestMode.REAL_TIME);
    assertThat(c.reason()).isEqualTo("ingest mode real-time: 6 task slots, real-time needs 4 (one per input partition) "
        + "+ 2 for the other queries (INGEST_MODE unset)");
  }

  @Test
  void unsetFallsBackToMicroBatchSayingWhatRealTimeWouldNeed() {
    IngestMode.Choice c = IngestMode.choose(Optional.empty(), 5, 4, IngestMode.OTHER_QUERIES_SLOTS);
    assertThat(c.mode()).isEqualTo(IngestMode.MICRO_BATCH);
    assertThat(c.reason()).isEqualTo("ingest mode micro-batch: 5 task slots, real-time needs 4 (one per input "
        + "partition) + 2 for the other queries (INGEST_MODE unset; give Spark 6 task slots for real-time)");
    assertThat(IngestMode.choose(Optional.empty(), 4, 4, 0).mode()).as("ingest alone").isEqualTo(IngestMode.REAL_TIME);
    assertThat(IngestMode.choose(Optional.empty(), 64, 0, 2).mode()).as("no input topic yet").isEqualTo(IngestMode.MICRO_BATCH);
  }

  @Test
  void requestedRealTimeWithTooFewSlotsIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> IngestMode.choose(Optional.of(IngestMode.REAL_TIME), 2, 4, 2))
        .isInstanceOf(StartupFailure.class)
        .hasMessage("INGEST_MODE=real-time: 2 task slots, real-time needs 4 (one per input partition) + 2 for the other "
            + "queries; give Spark more task slots (local[N], or executor instances x cores) or set INGEST_MODE=micro-batch");
    assertThat(IngestMode.choose(Optional.of(IngestMode.MICRO_BATCH), 2, 4, 2).mode()).isEqualTo(IngestMode.MICRO_BATCH);
    assertThat(IngestMode.choose(Optional.of(IngestMode.REAL_TIME), 6, 4, 2).mode()).isEqualTo(IngestMode.REAL_TIME);
  }

  @Test
  void taskSlotsFollowTheMasterOrTheExecutors() {
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "local"), 8)).isEqualTo(1);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "local[6]"), 8)).isEqualTo(6);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "local[*]"), 8)).isEqualTo(8);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "local[3, 2]"), 8)).as("with retries").isEqualTo(3);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "local-cluster[2,3,1024]"), 8)).isEqualTo(6);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "k8s://https://kubernetes.default.svc"), 8))
        .as("Spark's defaults: 2 executors of 1 core").isEqualTo(2);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "k8s://x", "spark.executor.instances", "3",
        "spark.executor.cores", "2"), 8)).isEqualTo(6);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "k8s://x", "spark.executor.instances", "3",
        "spark.executor.cores", "4", "spark.task.cpus", "2"), 8)).isEqualTo(6);
    assertThat(IngestMode.taskSlots(Map.of("spark.master", "k8s://x", "spark.dynamicAllocation.enabled", "true",
        "spark.dynamicAllocation.minExecutors", "1", "spark.executor.instances", "9", "spark.executor.cores", "2"), 8))
        .as("only the executors dynamic allocation keeps").isEqualTo(2);
  }

  @Test
  void slotsPerJvmAreAllOfLocalModeOrOneExecutorsCores() {
    assertThat(IngestMode.slotsPerJvm(Map.of("spark.master", "local[6]"), 2)).as("make run on 2 cores").isEqualTo(6);
    assertThat(IngestMode.slotsPerJvm(Map.of("spark.master", "local[*]"), 2)).isEqualTo(2);
    assertThat(IngestMode.slotsPerJvm(Map.of("spark.master", "local-cluster[2,3,1024]"), 8)).isEqualTo(3);
    assertThat(IngestMode.slotsPerJvm(Map.of("spark.master", "k8s://x", "spark.executor.instances", "3",
        "spark.executor.cores", "6"), 2)).as("the chart's executor").isEqualTo(6);
    assertThat(IngestMode.slotsPerJvm(Map.of("spark.master", "k8s://x", "spark.executor.cores", "4",
        "spark.task.cpus", "2"), 8)).isEqualTo(2);
    assertThat(IngestMode.slotsPerJvm(Map.of(), 4)).as("outside Spark: local[*]").isEqualTo(4);
  }
}
