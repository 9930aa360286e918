package dev.clickstream.testkit;

import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.AppInfoParser;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Kafka in the official {@code apache/kafka} image at the version of the in-process broker (KRaft, one node),
 * under Testcontainers' {@link KafkaContainer}; the settings that differ from the image's defaults are those of
 * {@link KafkaBroker}: no auto-created topics, 8 MiB messages.
 */
public final class KafkaContainerFixture extends ContainerFixture<KafkaContainer> implements KafkaFixture {
  /** {@code apache/kafka:<the kafka-clients version on the classpath>}, the broker version the tests run against. */
  public static final String IMAGE = "apache/kafka:" + AppInfoParser.getVersion();
  /** The image's PLAINTEXT listener for clients outside the container. */
  static final int CLIENT_PORT = 9092;

  private KafkaContainerFixture(KafkaContainer container) {
    super(container);
  }

  /**
   * Starts a container on a free host port (fixed, so that {@link #restart()} keeps the address).
   *
   * @return a started broker
   * @throws org.testcontainers.containers.ContainerLaunchException when Docker cannot run it
   */
  public static KafkaContainerFixture start() {
    int hostPort = FreePorts.distinct(1)[0];
    KafkaContainer container = new KafkaContainer(DockerImageName.parse(IMAGE))
        .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        .withEnv("KAFKA_MESSAGE_MAX_BYTES", String.valueOf(8 * 1024 * 1024))
        .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .withCreateContainerCmdModifier(bind(hostPort, CLIENT_PORT));
    container.start();
    return new KafkaContainerFixture(container);
  }

  @Override
  public String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  boolean answers() {
    try (Admin admin = admin()) {
      return !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
    } catch (Exception e) { // not yet
      return false;
    }
  }

  @Override
  public String describe() {
    return "container " + IMAGE + " at " + bootstrapServers();
  }
}
