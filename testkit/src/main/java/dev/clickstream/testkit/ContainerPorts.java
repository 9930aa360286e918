package dev.clickstream.testkit;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;

/**
 * What the container fixtures share: a fixed host port (Testcontainers maps to a random one, which a container
 * stopped and started again could lose; an outage test needs the same address afterwards), and an outage as
 * Docker's own stop and start of the container, which keeps its file system (data, log) unlike
 * {@code GenericContainer.stop()}, which removes it.
 */
final class ContainerPorts {
  private ContainerPorts() {}

  /**
   * @param hostPort the port on the host
   * @param containerPort the port in the container
   * @return a create-command modifier for {@code withCreateContainerCmdModifier} binding one to the other
   */
  static Consumer<CreateContainerCmd> bind(int hostPort, int containerPort) {
    return cmd -> cmd.getHostConfig().withPortBindings(
        new PortBinding(Ports.Binding.bindPort(hostPort), new ExposedPort(containerPort)));
  }

  /** Stops the container (SIGTERM, then Docker's 10 s grace), keeping it and its file system. */
  static void stop(String containerId) {
    DockerClientFactory.instance().client().stopContainerCmd(containerId).exec();
  }

  /**
   * Starts a stopped container again and waits until {@code ready} answers true.
   *
   * @throws IllegalStateException naming {@code what} when it is not ready within {@code timeout}
   */
  static void start(String containerId, String what, BooleanSupplier ready, Duration timeout) {
    DockerClientFactory.instance().client().startContainerCmd(containerId).exec();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " not ready " + timeout.toSeconds() + " s after its container restarted");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }
}
