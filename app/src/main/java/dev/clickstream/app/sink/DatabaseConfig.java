package dev.clickstream.app.sink;

import dev.clickstream.app.config.JdbcUrls;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * How executors reach Postgres. Serializable: it travels inside the foreachBatch closures.
 *
 * @param jdbcUrl {@code jdbc:postgresql://host:port/db[?...]}
 * @param user database user
 * @param password database password; {@link #toString()} does not show it
 * @param retryTimeout DB_RETRY_TIMEOUT: how long a sink's write retries transient errors ({@link PostgresRetry});
 *     zero for no retry
 */
public record DatabaseConfig(String jdbcUrl, String user, String password, Duration retryTimeout) implements Serializable {
  /** DB_RETRY_TIMEOUT's default (DESIGN §5 style settings; see {@code Settings}). */
  public static final Duration DEFAULT_RETRY_TIMEOUT = Duration.ofMinutes(5);

  /**
   * @param jdbcUrl {@code jdbc:postgresql://host:port/db[?...]}
   * @param user database user
   * @param password database password
   */
  public DatabaseConfig(String jdbcUrl, String user, String password) {
    this(jdbcUrl, user, password, DEFAULT_RETRY_TIMEOUT);
  }

  /**
   * Opens a connection with batched-insert rewriting ({@code reWriteBatchedInserts=true}: one multi-row INSERT
   * per JDBC batch, ~1.5x faster here, DESIGN §8) and 10 s connect and login timeouts.
   *
   * @return an open connection, auto-commit on
   * @throws SQLException when Postgres is unreachable or refuses the login
   */
  public Connection connect() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("reWriteBatchedInserts", "true");
    props.setProperty("connectTimeout", "10");
    props.setProperty("loginTimeout", "10");
    props.setProperty("ApplicationName", "clickstream");
    return DriverManager.getConnection(jdbcUrl, props);
  }

  /** @return the URL for messages: any password in it replaced by {@code ****} ({@link JdbcUrls#masked}) */
  public String maskedUrl() {
    return JdbcUrls.masked(jdbcUrl);
  }

  /**
   * @param otherUser another role
   * @param otherPassword its password
   * @return the same database and retry timeout as that role
   */
  public DatabaseConfig as(String otherUser, String otherPassword) {
    return new DatabaseConfig(jdbcUrl, otherUser, otherPassword, retryTimeout);
  }

  @Override
  public String toString() {
    return "DatabaseConfig[" + maskedUrl() + ", user=" + user + ", retryTimeout=" + retryTimeout + "]";
  }
}
