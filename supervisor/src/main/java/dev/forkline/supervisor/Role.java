package dev.forkline.supervisor;

/**
 * What a live worker is for. Changed in one place ({@link WorkerTable#assign}), only along the
 * arrows {@link #mayBecome} allows:
 *
 * <pre>
 * spawn ──▶ SERVING ──replaced, scaled down──▶ RETIRING ──exit──▶ (gone)
 * spawn ──▶ INCOMING ──ready──▶ SERVING
 *              └──reload abandoned, scaled down──▶ RETIRING
 * spawn ──▶ STANDBY ──promoted into a slot──▶ SERVING
 *              └──replaced by a newer generation, FORKLINE_STANDBY lowered──▶ RETIRING
 * </pre>
 */
enum Role {
    /** Holds its slot: ready and listening, or starting after a respawn or a promotion. */
    SERVING,
    /**
     * During a reload: the next generation's worker for a slot, until it is ready and takes it (in
     * a rollback, the running generation's, taking the slot back).
     */
    INCOMING,
    /**
     * Draining away: replaced by a reload or a rollback, scaled down, or the incoming worker of an
     * abandoned reload (or of a rollback a new reload took over from).
     */
    RETIRING,
    /** A warm standby: booted, not listening, holding no slot until it is promoted into one. */
    STANDBY;

    private final String label = name().toLowerCase(java.util.Locale.ROOT);

    boolean mayBecome(Role next) {
        return switch (this) {
            case SERVING -> next == RETIRING;
            case INCOMING, STANDBY -> next == SERVING || next == RETIRING;
            case RETIRING -> false;
        };
    }

    String label() {
        return label;
    }
}
