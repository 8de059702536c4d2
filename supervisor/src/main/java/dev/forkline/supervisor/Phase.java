package dev.forkline.supervisor;

/**
 * Where the supervisor is in its life. Changed in one place ({@link Supervisor}), and only along
 * the arrows {@link #mayBecome} allows:
 *
 * <pre>
 * STARTING ──all slots ready──▶ RUNNING ◀──done or abandoned──┐
 *    │                            │ └──HUP, POST /reload──▶ RELOADING
 *    └──INT, TERM, stop, boot error──┴──INT, TERM, stop────────┴──▶ STOPPING ──none left──▶ STOPPED
 * </pre>
 */
enum Phase {
    /**
     * The first workers are booting: a boot error here halts (a respawn would fail the same way),
     * and a reload is refused.
     */
    STARTING,
    /** Every slot has had a ready worker; crashes are respawned. */
    RUNNING,
    /** A rolling reload moves the slots to the next generation, one at a time. */
    RELOADING,
    /** Workers drain; the stragglers get SIGKILL at FORKLINE_SHUTDOWN_TIMEOUT. */
    STOPPING,
    /** Every worker has exited: the loop ends with the exit code. */
    STOPPED;

    private final String label = name().toLowerCase(java.util.Locale.ROOT);

    boolean mayBecome(Phase next) {
        return switch (this) {
            case STARTING -> next == RUNNING || next == STOPPING;
            case RUNNING -> next == RELOADING || next == STOPPING;
            case RELOADING -> next == RUNNING || next == STOPPING;
            case STOPPING -> next == STOPPED;
            case STOPPED -> false;
        };
    }

    /** As the status shows it. */
    String label() {
        return label;
    }
}
