package dev.clickstream.testkit;

import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;

/**
 * Which Kafka and Postgres the tests get: the system property {@code clickstream.fixtures} (Maven:
 * {@code make test ARGS=-Dclickstream.fixtures=containers}) is
 * <ul>
 *   <li>{@code embedded}: the in-process KRaft broker and embedded PostgreSQL binaries (no Docker needed);</li>
 *   <li>{@code containers}: the {@code apache/kafka} and {@code postgres:17} images under Testcontainers; without
 *       a Docker engine the tests that need them are skipped ("Docker not available");</li>
 *   <li>{@code auto} (default): containers when Testcontainers finds a Docker engine, embedded otherwise.</li>
 * </ul>
 * Each fixture prints one line saying what it started, in the test's output.
 */
public final class Fixtures {
  /** The system property. */
  public static final String PROPERTY = "clickstream.fixtures";

  /** What runs Kafka and Postgres. */
  public enum Kind { EMBEDDED, CONTAINERS }

  private static Boolean docker;

  private Fixtures() {}

  /**
   * @param value the property's value: containers, embedded or auto (null = auto)
   * @param dockerAvailable whether a Docker engine answers (asked only for auto and containers)
   * @return the fixtures to start
   * @throws IllegalArgumentException for another value, naming the property
   * @throws TestAbortedException (the test is skipped) for containers without Docker
   */
  static Kind choose(String value, BooleanSupplier dockerAvailable) {
    String v = value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
    switch (v) {
      case "embedded":
        return Kind.EMBEDDED;
      case "containers":
        if (!dockerAvailable.getAsBoolean()) {
          throw new TestAbortedException("Docker not available: -D" + PROPERTY + "=containers needs a Docker engine");
        }
        return Kind.CONTAINERS;
      case "auto":
        return dockerAvailable.getAsBoolean() ? Kind.CONTAINERS : Kind.EMBEDDED;
      default:
        throw new IllegalArgumentException(PROPERTY + ": '" + value + "' is not containers, embedded or auto");
    }
  }

  /** @return the fixtures this JVM's tests get (the property, Docker asked once per JVM) */
  public static Kind chosen() {
    return choose(System.getProperty(PROPERTY), Fixtures::dockerAvailable);
  }

  /** @return whether Testcontainers finds a Docker engine (asked once per JVM) */
  public static synchronized boolean dockerAvailable() {
    if (docker == null) {
      try {
        docker = DockerClientFactory.instance().isDockerAvailable();
      } catch (RuntimeException | LinkageError e) { // no engine, no socket: not available
        docker = false;
      }
    }
    return docker;
  }

  /** e.g. {@code clickstream fixtures: embedded (clickstream.fixtures=auto, no Docker engine found)} */
  private static String logLine(Kind kind) {
    String value = System.getProperty(PROPERTY, "auto");
    return "clickstream fixtures: " + kind.name().toLowerCase(Locale.ROOT) + " (" + PROPERTY + "=" + value
        + (value.equals("auto") ? (dockerAvailable() ? ", Docker found" : ", no Docker engine found") : "") + ")";
  }

  /**
   * @return a started Kafka broker of the chosen kind; the caller closes it
   * @throws TestAbortedException for containers without Docker
   */
  public static KafkaFixture kafka() {
    Kind kind = chosen();
    KafkaFixture kafka = kind == Kind.CONTAINERS ? KafkaContainerFixture.start() : KafkaBroker.startTemporary();
    System.out.println(logLine(kind) + ": Kafka " + kafka.describe());
    return kafka;
  }

  /**
   * @return a started PostgreSQL server of the chosen kind; the caller closes it
   * @throws TestAbortedException for containers without Docker
   */
  public static PostgresFixture postgres() {
    Kind kind = chosen();
    PostgresFixture postgres = kind == Kind.CONTAINERS ? PostgresContainerFixture.start() : PostgresServer.startTemporary();
    System.out.println(logLine(kind) + ": Postgres " + postgres.describe());
    return postgres;
  }
}
