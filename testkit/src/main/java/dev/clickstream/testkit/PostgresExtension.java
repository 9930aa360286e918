package dev.clickstream.testkit;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: PostgreSQL 17 ({@link Fixtures#postgres()}: embedded binaries, or the {@code postgres:17}
 * image when {@code clickstream.fixtures} says so) with a fresh database per test class.
 *
 * <p>By default one server is shared by every test class in the JVM (started on first use, stopped at JVM
 * exit) and each class gets its own database, named after the class. {@link #dedicated()} gives the class a
 * server of its own, which a test may {@link PostgresFixture#stop() stop} and {@link PostgresFixture#restart()
 * restart} to simulate an outage.
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
 * ... DriverManager.getConnection(PG.jdbcUrl(), PG.user(), PG.password()) ...
 * }</pre>
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static PostgresFixture shared;

  private final boolean dedicated;
  private PostgresFixture server;
  private String jdbcUrl;
  private String database;

  /** A database of its own on the JVM-wide shared server. */
  public PostgresExtension() {
    this(false);
  }

  private PostgresExtension(boolean dedicated) {
    this.dedicated = dedicated;
  }

  /** @return an extension whose server belongs to the test class alone */
  public static PostgresExtension dedicated() {
    return new PostgresExtension(true);
  }

  private static synchronized PostgresFixture sharedServer() {
    if (shared == null) {
      shared = Fixtures.postgres();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "embedded-postgres-stop"));
    }
    return shared;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = dedicated ? Fixtures.postgres() : sharedServer();
    String name = context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9_]", "_") + "_" + SEQUENCE.incrementAndGet();
    database = name;
    jdbcUrl = server.createDatabase(name);
  }

  /** @return the name of this class's database */
  public String database() {
    server();
    return database;
  }

  /**
   * Creates the clickstream roles (docs/kubernetes.md, "Security") for this class's database, named after it
   * ({@link DatabaseRoles#named}), as the chart's Postgres creates them.
   *
   * @return the roles and their passwords
   */
  public DatabaseRoles createRoles() {
    DatabaseRoles roles = DatabaseRoles.named(database());
    roles.createIn(server(), database());
    return roles;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (dedicated && server != null) {
      server.close();
    }
  }

  /** @return the server (shared or dedicated) */
  public PostgresFixture server() {
    if (server == null) {
      throw new IllegalStateException("PostgresExtension is not started: register it as a static @RegisterExtension field");
    }
    return server;
  }

  /** @return JDBC URL of this class's database */
  public String jdbcUrl() {
    server();
    return jdbcUrl;
  }

  /** @return the database user */
  public String user() {
    return server().user();
  }

  /** @return the database password */
  public String password() {
    return server().password();
  }
}
