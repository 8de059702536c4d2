package dev.forkline.supervisor;

import dev.forkline.protocol.ExitCodes;
import dev.forkline.worker.WorkerMain;

/**
 * {@code java -jar forkline.jar [command]}. Without a command (or with {@code run}) it starts the
 * supervisor, which starts the workers.
 */
public final class Main {
    private static final String USAGE = """
            usage: java -jar forkline.jar [command]

              run       start the supervisor and its workers (the default)
              help      show this text

            Settings are environment variables (FORKLINE_PORT, FORKLINE_WORKERS, ...); see the README.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "run" : args[0];
        switch (command) {
            case "run" -> System.exit(SupervisorMain.run());
            case "worker" -> WorkerMain.main(args); // what the supervisor starts; not for users
            case "help", "-h", "--help" -> System.out.print(USAGE);
            default -> {
                System.err.print("unknown command \"" + command + "\"\n" + USAGE);
                System.exit(ExitCodes.CONFIG);
            }
        }
    }
}
