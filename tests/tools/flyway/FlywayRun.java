// flyway-run COMMAND URL USER PASSWORD DIR [key=value...]: real Flyway (flyway-core 13.12.0 from
// Maven Central) on DIR's migrations, for tenantdb's interop tests only (never shipped).
// COMMAND is migrate, validate, info, repair or baseline; key=value are Flyway configuration
// properties without the `flyway.` prefix (outOfOrder=true, baselineOnMigrate=true, ...).
// info prints one line per migration: version|description|type|state|checksum|script.
// Exit code 0 on success, 1 when Flyway refused or failed (its message on stderr).
import java.util.HashMap;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.ValidateResult;

public final class FlywayRun {
  public static void main(String[] args) {
    if (args.length < 5) {
      System.err.println("usage: flyway-run migrate|validate|info|repair|baseline URL USER PASSWORD DIR [key=value...]");
      System.exit(2);
    }
    Map<String, String> props = new HashMap<>();
    for (int i = 5; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put("flyway." + args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    try {
      Flyway flyway = Flyway.configure()
          .configuration(props)
          .dataSource(args[1], args[2], args[3])
          .locations("filesystem:" + args[4])
          .load();
      switch (args[0]) {
        case "migrate":
          System.out.println("applied " + flyway.migrate().migrationsExecuted);
          break;
        case "validate":
          ValidateResult r = flyway.validateWithResult();
          if (!r.validationSuccessful) {
            System.err.println("validate failed: " + r.getAllErrorMessages());
            System.exit(1);
          }
          System.out.println("validate ok");
          break;
        case "info":
          for (MigrationInfo m : flyway.info().all()) {
            System.out.println((m.getVersion() == null ? "" : m.getVersion().getVersion()) + "|"
                + m.getDescription() + "|" + m.getType() + "|" + m.getState().getDisplayName() + "|"
                + m.getChecksum() + "|" + m.getScript());
          }
          break;
        case "repair":
          flyway.repair();
          System.out.println("repair ok");
          break;
        case "baseline":
          flyway.baseline();
          System.out.println("baseline ok");
          break;
        default:
          System.err.println("unknown command " + args[0]);
          System.exit(2);
      }
    } catch (FlywayException e) {
      System.err.println("flyway: " + e.getMessage());
      System.exit(1);
    }
  }
}
