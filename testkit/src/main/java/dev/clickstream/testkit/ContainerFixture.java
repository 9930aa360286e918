package dev.clickstream.testkit;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.time.Duration;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * What the container fixtures share: a fixed host port (Testcontainers maps to a random one, which a container
 * stopped and started again could lose; an outage test needs the same address afterwards), and an outage as
 * Docker's own stop and start of the container, which keeps its file system (data, log) unlike
 * {@code GenericContainer.stop()}, which removes it ({@link #close()}).
 *
 * @param <C> the Testcontainers container type
 */
abstract class ContainerFixture<C extends GenericContainer<?>> {
  /** How long a restarted container may take to answer. */
  static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

  final C container;

  ContainerFixture(C container) {
    this.container = container;
  }

  /**
   * @param hostPort the port on the host
   * @param containerPort the port in the container
   * @return a create-command modifier for {@code withCreateContainerCmdModifier} binding one to the other
   */
  static Consumer<CreateContainerCmd> bind(int hostPort, int containerPort) {
    return cmd -> cmd.getHostConfig().withPortBindings(
        new PortBinding(Ports.Binding.bindPort(hostPort), new ExposedPort(containerPort)));
  }

  /** @return whether the server in the container answers a client now */
  abstract boolean answers();

  /** @return what runs and where, for the test log */
  public abstract String describe();

  /** Stops the container (SIGTERM, then Docker's 10 s grace), keeping it and its file system: an outage. */
  public void stop() {
    DockerClientFactory.instance().client().stopContainerCmd(container.getContainerId()).exec();
  }

  /**
   * Starts the stopped container again (same host port, same data) and waits until the server answers.
   *
   * @throws IllegalStateException when it does not answer within {@link #RESTART_TIMEOUT}
   */
  public void restart() {
    DockerClientFactory.instance().client().startContainerCmd(container.getContainerId()).exec();
    long deadline = System.nanoTime() + RESTART_TIMEOUT.toNanos();
    while (!answers()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(describe() + " not ready " + RESTART_TIMEOUT.toSeconds() + " s after its container restarted");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + describe(), e);
      }
    }
  }

  /** Removes the container and its data. */
  public void close() {
    container.stop();
  }
}
