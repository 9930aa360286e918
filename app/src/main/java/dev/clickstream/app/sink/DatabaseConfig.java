package dev.clickstream.app.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.clickstream.app.config.IngestMode;
import dev.clickstream.app.config.JdbcUrls;
import dev.clickstream.app.config.Settings;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * How executors reach Postgres. Serializable: it travels inside the foreachBatch closures; each JVM keeps a
 * connection pool per config ({@link #connect()}).
 *
 * @param jdbcUrl {@code jdbc:postgresql://host:port/db[?...]}
 * @param user database user
 * @param password database password; {@link #toString()} does not show it
 * @param retryTimeout DB_RETRY_TIMEOUT: how long a sink's write retries transient errors ({@link PostgresRetry});
 *     zero for no retry
 */
public record DatabaseConfig(String jdbcUrl, String user, String password, Duration retryTimeout) implements Serializable {
  /** DB_RETRY_TIMEOUT's default (architecture §5 style settings; see {@code Settings}). */
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
   * @param settings validated settings
   * @return the database as the sinks reach it: JDBC_URL as DB_USER, retrying for DB_RETRY_TIMEOUT
   */
  public static DatabaseConfig writer(Settings settings) {
    Settings.Postgres db = settings.postgres();
    return new DatabaseConfig(db.jdbcUrl(), db.user(), db.password(), db.retryTimeout());
  }

  /**
   * @param settings validated settings
   * @return the database as the schema migrations reach it: JDBC_URL as DB_MIGRATION_USER
   */
  public static DatabaseConfig migrator(Settings settings) {
    return writer(settings).as(settings.postgres().migrationUser(), settings.postgres().migrationPassword());
  }

  /** How long a statement may wait for the server's answer, s: a database that stops answering is an outage. */
  static final int SOCKET_TIMEOUT_SECONDS = 120;
  /** The executors' pools, one per database and role (the key is the whole config); a JVM-wide cache. */
  private static final ConcurrentHashMap<DatabaseConfig, HikariDataSource> POOLS = new ConcurrentHashMap<>();

  /**
   * A connection from this JVM's pool for this database (HikariCP, created on first use: at most one connection per
   * task slot of this JVM ({@link #poolSize}), none kept idle longer than a minute, each checked before it is handed out), so that
   * each micro-batch's tasks do not log in again. Connection settings as {@link #connectDirect()}.
   *
   * @return an open connection, auto-commit on; closing it returns it to the pool
   * @throws SQLException when Postgres is unreachable or refuses the login within 10 s ({@code
   *     SQLTransientConnectionException} carrying the server's SQL state and error as its cause)
   */
  public Connection connect() throws SQLException {
    return POOLS.computeIfAbsent(this, DatabaseConfig::newPool).getConnection();
  }

  /**
   * Opens a connection of its own (start-up checks, migrations): batched-insert rewriting
   * ({@code reWriteBatchedInserts=true}: one multi-row INSERT per JDBC batch, ~1.5x faster here, architecture §8), 10 s
   * connect and login timeouts, {@value #SOCKET_TIMEOUT_SECONDS} s socket timeout and TCP keep-alive (pgjdbc's
   * {@code socketTimeout}, {@code tcpKeepAlive}: a server that stops answering fails the statement with SQL state
   * 08006 instead of hanging the task).
   *
   * @return an open connection, auto-commit on
   * @throws SQLException when Postgres is unreachable or refuses the login
   */
  public Connection connectDirect() throws SQLException {
    Properties props = properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    return DriverManager.getConnection(jdbcUrl, props);
  }

  private Properties properties() {
    Properties props = new Properties();
    props.setProperty("reWriteBatchedInserts", "true");
    props.setProperty("connectTimeout", "10");
    props.setProperty("loginTimeout", "10");
    props.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_SECONDS));
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("ApplicationName", "clickstream");
    return props;
  }

  private HikariDataSource newPool() {
    HikariConfig config = new HikariConfig();
    config.setPoolName("clickstream-" + user);
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setDataSourceProperties(properties());
    config.setMaximumPoolSize(poolSize(sparkConf(), Runtime.getRuntime().availableProcessors()));
    config.setMinimumIdle(0);
    config.setIdleTimeout(60_000);
    config.setConnectionTimeout(10_000);
    // start without a connection: a database that is down at first use is an outage for PostgresRetry, not a
    // failure to build the pool
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  /**
   * The connections one JVM's pool may open: one per task this JVM runs at once (every writer task of the
   * {@code analytics} and {@code user-sessions} queries holds one for its partition's transaction), at least 2.
   *
   * @param conf this JVM's Spark settings (empty outside Spark)
   * @param processors this JVM's processors
   * @return {@code max(2, IngestMode.slotsPerJvm(conf, processors))}
   */
  static int poolSize(Map<String, String> conf, int processors) {
    return Math.max(2, IngestMode.slotsPerJvm(conf, processors));
  }

  private static Map<String, String> sparkConf() {
    SparkEnv env = SparkEnv.get();
    Map<String, String> conf = new HashMap<>();
    if (env != null) {
      for (Tuple2<String, String> setting : env.conf().getAll()) {
        conf.put(setting._1(), setting._2());
      }
    }
    return conf;
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
