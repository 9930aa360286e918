package dev.clickstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.testkit.Fixtures.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** The choice of fixtures (no Docker needed) and the container fixtures' images against what they stand for. */
class FixturesChoiceTest {

  @Test
  void autoTakesContainersOnlyWhereDockerAnswers() {
    assertThat(Fixtures.choose(null, () -> false)).isEqualTo(Kind.EMBEDDED);
    assertThat(Fixtures.choose("auto", () -> false)).isEqualTo(Kind.EMBEDDED);
    assertThat(Fixtures.choose("auto", () -> true)).isEqualTo(Kind.CONTAINERS);
    assertThat(Fixtures.choose(" Containers ", () -> true)).isEqualTo(Kind.CONTAINERS);
    assertThat(Fixtures.choose("embedded", () -> { throw new AssertionError("Docker is not asked for embedded"); }))
        .isEqualTo(Kind.EMBEDDED);
  }

  @Test
  void containersWithoutDockerSkipTheTestAndABadValueIsNamed() {
    assertThatThrownBy(() -> Fixtures.choose("containers", () -> false)).isInstanceOf(TestAbortedException.class)
        .hasMessage("Docker not available: -Dclickstream.fixtures=containers needs a Docker engine");
    assertThatThrownBy(() -> Fixtures.choose("docker", () -> true)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clickstream.fixtures: 'docker' is not containers, embedded or auto");
  }

  @Test
  void theImagesAreTheBrokerVersionWeTestAndTheChartsPostgres() throws Exception {
    assertThat(KafkaContainerFixture.IMAGE).isEqualTo("apache/kafka:" + AppInfoParser.getVersion())
        .isEqualTo("apache/kafka:3.9.2");
    assertThat(Files.readString(Path.of("..", "helm", "clickstream", "values.yaml")))
        .contains("image: " + PostgresContainerFixture.IMAGE + "\n");
  }

  @Test
  void thisMachineGetsWhatThePropertyAndDockerSay() {
    // the fixtures of this very run, as the test log states them
    Kind kind = Fixtures.chosen();
    assertThat(kind).isEqualTo(Fixtures.dockerAvailable() && !"embedded".equals(System.getProperty(Fixtures.PROPERTY))
        ? Kind.CONTAINERS : Kind.EMBEDDED);
  }
}
