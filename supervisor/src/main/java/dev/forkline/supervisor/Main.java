package dev.forkline.supervisor;

import dev.forkline.os.ExitCodes;

/**
 * {@code java -jar forkline.jar [command]}. Without a command (or with {@code run}) it starts the
 * supervisor, which starts the workers.
 */
public final class Main {
    private static final String USAGE = """
            usage: java -jar forkline.jar [command]      (./forkline [command] from a checkout)

              run        start the supervisor and its workers (the default)
              takeover [PID]
                         start a supervisor (a new jar, new settings) that joins the ports of the
                         Forkline running on them (pid PID, if given) and, once its workers are
                         ready, stops that one gracefully: an upgrade without closing the ports
              status     show the running supervisor's workers
              top        the workers live, refreshed every second (q quits; --once: one table)
              reload     zero-downtime reload: replace every worker, one slot at a time
              scale N    run N workers
              stop       graceful stop
              version    print the version (also --version)
              help       show this text

            Settings are environment variables (FORKLINE_PORT, FORKLINE_WORKERS, ...); see the README.
            status, top, reload, scale and stop talk to the admin API at FORKLINE_ADMIN_HOST:FORKLINE_ADMIN_PORT.
            """;

    private Main() {
    }

    /** The version the build wrote into the jar's manifest (Implementation-Version). */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "run" : args[0];
        switch (command) {
            case "run" -> System.exit(SupervisorMain.run());
            case "takeover" -> {
                if (args.length > 2 || (args.length == 2 && !args[1].matches("[1-9][0-9]{0,9}"))) {
                    System.err.print("forkline takeover: expected at most one argument, the pid of the supervisor"
                            + " to take over, not \"" + String.join(" ", java.util.Arrays.asList(args).subList(1, args.length))
                            + "\"\n" + USAGE);
                    System.exit(ExitCodes.CONFIG);
                }
                System.exit(SupervisorMain.takeover(args.length == 2
                        ? java.util.OptionalLong.of(Long.parseLong(args[1])) : java.util.OptionalLong.empty()));
            }
            case "status", "top", "reload", "scale", "stop" ->
                    System.exit(AdminClient.main(command, java.util.Arrays.asList(args).subList(1, args.length)));
            case "help", "-h", "--help" -> System.out.print(USAGE);
            case "version", "--version", "-V" -> System.out.println("forkline " + version() + " (Java "
                    + System.getProperty("java.version") + ")");
            default -> {
                System.err.print("unknown command \"" + command + "\"\n" + USAGE);
                System.exit(ExitCodes.CONFIG);
            }
        }
    }
}
