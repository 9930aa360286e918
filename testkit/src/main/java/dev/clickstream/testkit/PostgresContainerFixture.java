package dev.clickstream.testkit;

import java.sql.DriverManager;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * PostgreSQL in the official {@code postgres:17} image, the chart's ({@code postgres.image} in
 * {@code helm/clickstream/values.yaml}), under Testcontainers' {@link PostgreSQLContainer}.
 */
public final class PostgresContainerFixture extends ContainerFixture<PostgreSQLContainer> implements PostgresFixture {
  /** The chart's Postgres image. */
  public static final String IMAGE = "postgres:17";
  private static final int PORT = 5432;

  private final int hostPort;

  private PostgresContainerFixture(PostgreSQLContainer container, int hostPort) {
    super(container);
    this.hostPort = hostPort;
  }

  /**
   * Starts a container on a free host port (fixed, so that {@link #restart()} keeps the address), superuser
   * {@code postgres}/{@code postgres} like {@link PostgresServer}.
   *
   * @return a started server accepting connections
   * @throws org.testcontainers.containers.ContainerLaunchException when Docker cannot run it
   */
  public static PostgresContainerFixture start() {
    int hostPort = FreePorts.distinct(1)[0];
    PostgreSQLContainer container = new PostgreSQLContainer(DockerImageName.parse(IMAGE))
        .withUsername(PostgresServer.USER)
        .withPassword(PostgresServer.PASSWORD)
        .withDatabaseName("postgres")
        .withCreateContainerCmdModifier(bind(hostPort, PORT));
    container.start();
    return new PostgresContainerFixture(container, hostPort);
  }

  @Override
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + container.getHost() + ":" + hostPort + "/" + database;
  }

  @Override
  public String user() {
    return container.getUsername();
  }

  @Override
  public String password() {
    return container.getPassword();
  }

  @Override
  boolean answers() {
    try (var c = DriverManager.getConnection(jdbcUrl("postgres"), user(), password())) {
      return c.isValid(2);
    } catch (Exception e) { // not yet
      return false;
    }
  }

  @Override
  public String describe() {
    return "container " + IMAGE + " at " + container.getHost() + ":" + hostPort;
  }
}
