package dev.clickstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The supervisor's stop line: what a restart on a stopped query's checkpoint replays. */
class QuerySupervisorTest {
  @Test
  void theStopLineSaysWhatARestartReplays() {
    assertThat(QuerySupervisor.replayNote(false, OptionalLong.of(41)))
        .isEqualTo("a restart resumes after micro-batch 41 (an unfinished micro-batch is replayed)");
    assertThat(QuerySupervisor.replayNote(true, OptionalLong.of(7))).isEqualTo("a restart resumes after micro-batch 7 "
        + "and writes the records of the unfinished real-time batch again (at least once)");
    assertThat(QuerySupervisor.replayNote(false, OptionalLong.empty())).startsWith("a restart starts from STARTING_OFFSETS");
  }
}
