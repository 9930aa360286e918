package dev.clickstream.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL 17 server for tests, whatever runs it: embedded zonky binaries ({@link PostgresServer}) or the
 * {@code postgres:17} image under Testcontainers ({@link PostgresContainerFixture}); {@link Fixtures#postgres()}
 * chooses. A superuser with a password, databases created per test class.
 */
public interface PostgresFixture extends AutoCloseable {
  /**
   * @param database database name
   * @return {@code jdbc:postgresql://<host>:<port>/<database>}
   */
  String jdbcUrl(String database);

  /** @return the superuser's name */
  String user();

  /** @return the superuser's password */
  String password();

  /** Stops the server, keeping its data: an outage. */
  void stop();

  /** Starts the server again after {@link #stop()}, on the same address and data. */
  void restart();

  /** Stops the server for good and deletes its data. */
  @Override
  void close();

  /** @return what runs the server and where, for the test log */
  String describe();

  /**
   * Creates a database owned by the superuser unless it exists.
   *
   * @param name database name: lower-case letters, digits and underscores
   * @return the JDBC URL of the database
   * @throws IllegalArgumentException when the name has other characters
   * @throws IllegalStateException when the statement fails
   */
  default String createDatabase(String name) {
    if (!name.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("database name must match [a-z_][a-z0-9_]*: " + name);
    }
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user(), password());
         Statement s = c.createStatement()) {
      var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
      if (!rs.next()) {
        s.execute("CREATE DATABASE " + name);
      }
      return jdbcUrl(name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
    }
  }
}
