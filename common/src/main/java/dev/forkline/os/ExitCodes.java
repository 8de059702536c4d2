package dev.forkline.os;

/**
 * Process exit codes shared by the supervisor and its workers.
 *
 * <p>As in Gunicorn's arbiter ({@code WORKER_BOOT_ERROR}), a worker that cannot boot exits with a
 * code of its own so that the supervisor halts instead of respawning it in a loop. The codes avoid
 * the ones the JVM uses by itself: 1 (uncaught exception, VM init failure) and 3
 * ({@code -XX:+ExitOnOutOfMemoryError}).
 */
public final class ExitCodes {
    /** Orderly stop. */
    public static final int OK = 0;
    /** Unexpected failure (an uncaught error). A worker exiting with it is respawned. */
    public static final int CRASH = 1;
    /** A configuration value is invalid: one line names the variable, the value and what is allowed. */
    public static final int CONFIG = 2;
    /** What HotSpot exits with under {@code -XX:+ExitOnOutOfMemoryError}: the worker is respawned. */
    public static final int OUT_OF_MEMORY = 3;
    /** A worker could not boot (port cannot be bound, no native transport): the supervisor halts. */
    public static final int BOOT = 4;
    /**
     * A worker found its supervisor gone (EOF on stdin). It SIGKILLs itself to free the port at once
     * (so its exit is seen as signal 9); this code is only the fallback if that fails.
     */
    public static final int ORPHANED = 5;
    /**
     * The supervisor stopped, but workers still running at FORKLINE_SHUTDOWN_TIMEOUT had to be
     * SIGKILLed (their connections were cut). Gunicorn and nginx exit 0 then; a distinct code lets
     * an operator or a script tell an orderly stop from one that cut connections.
     */
    public static final int STOP_FORCED = 6;

    /** The exit value of a process killed by SIGKILL, as the JDK reports it (128 + 9). */
    public static final int KILLED = 128 + 9;

    private ExitCodes() {
    }

    /**
     * Describes a child's exit value as the JDK reports it: a process killed by signal {@code n}
     * is reported as {@code 128 + n} (see {@code ProcessImpl} / {@code waitpid(2)}).
     */
    public static String describe(int exitValue) {
        if (exitValue > 128 && exitValue < 128 + 65) {
            int sig = exitValue - 128;
            return "signal " + signalName(sig) + " (" + sig + ")";
        }
        return "code " + exitValue;
    }

    /** Whether the exit value means "killed by a signal" (see {@link #describe}). */
    public static boolean bySignal(int exitValue) {
        return exitValue > 128 && exitValue < 128 + 65;
    }

    static String signalName(int sig) {
        return switch (sig) {
            case 1 -> "HUP";
            case 2 -> "INT";
            case 3 -> "QUIT";
            case 4 -> "ILL";
            case 6 -> "ABRT";
            case 7 -> "BUS";
            case 8 -> "FPE";
            case 9 -> "KILL";
            case 10 -> "USR1";
            case 11 -> "SEGV";
            case 12 -> "USR2";
            case 13 -> "PIPE";
            case 14 -> "ALRM";
            case 15 -> "TERM";
            default -> "SIG" + sig;
        };
    }
}
