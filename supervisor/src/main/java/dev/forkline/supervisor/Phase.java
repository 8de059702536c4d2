package dev.forkline.supervisor;

/**
 * Where the supervisor is in its life. Changed in one place ({@link Supervisor}), and only along
 * the arrows {@link #mayBecome} allows:
 *
 * <pre>
 * STARTING ──all slots ready──▶ RUNNING ──HUP, POST /reload──▶ RELOADING
 *                                ▲  ▲                            │   │ ▲
 *                                │  └──done, or abandoned with───┘   │ │ HUP, POST /reload
 *                                │     no slot moved                 ▼ │
 *                                └──────every slot moved back──── ROLLING_BACK
 *
 * any of them ──INT, TERM, stop (and a boot error while STARTING)──▶ STOPPING ──none left──▶ STOPPED
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
    /**
     * A reload was abandoned after some slots had moved to its generation: they move back to the
     * running one, one at a time as in a reload, so the server never stays mixed.
     */
    ROLLING_BACK,
    /** Workers drain; the stragglers get SIGKILL at FORKLINE_SHUTDOWN_TIMEOUT. */
    STOPPING,
    /** Every worker has exited: the loop ends with the exit code. */
    STOPPED;

    private final String label = name().toLowerCase(java.util.Locale.ROOT);

    boolean mayBecome(Phase next) {
        return switch (this) {
            case STARTING -> next == RUNNING || next == STOPPING;
            case RUNNING -> next == RELOADING || next == STOPPING;
            case RELOADING -> next == RUNNING || next == ROLLING_BACK || next == STOPPING;
            case ROLLING_BACK -> next == RUNNING || next == RELOADING || next == STOPPING;
            case STOPPING -> next == STOPPED;
            case STOPPED -> false;
        };
    }

    /** As the status shows it. */
    String label() {
        return label;
    }
}
