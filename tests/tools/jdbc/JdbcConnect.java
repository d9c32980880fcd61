// jdbc-connect URL [USER PASSWORD]: connects with the PostgreSQL JDBC driver the way a Spring
// Boot service does (SPRING_DATASOURCE_URL / _USERNAME / _PASSWORD reach
// DriverManager.getConnection(url, user, password); with no USER the URL itself carries
// user= and password=, as the Secret's jdbc-uri key does), prints current_user and
// current_database() tab-separated. Exit 1 with the error on stderr on failure.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public final class JdbcConnect {
  public static void main(String[] args) {
    if (args.length != 1 && args.length != 3) {
      System.err.println("usage: jdbc-connect URL [USER PASSWORD]");
      System.exit(2);
    }
    DriverManager.setLoginTimeout(30);
    try (Connection c = args.length == 3
            ? DriverManager.getConnection(args[0], args[1], args[2])
            : DriverManager.getConnection(args[0]);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT current_user, current_database()")) {
      if (!r.next()) {
        throw new SQLException("the query returned no row");
      }
      System.out.println(r.getString(1) + "\t" + r.getString(2));
    } catch (SQLException e) {
      System.err.println("jdbc-connect: " + e.getMessage()
          + (e.getSQLState() != null ? " (SQLSTATE " + e.getSQLState() + ")" : ""));
      System.exit(1);
    }
  }
}
