package dev.forkline.worker;

/**
 * Who this worker is: its PID, the slot the supervisor gave it and the generation (incremented by
 * each reload). Slot and generation come from FORKLINE_SLOT and FORKLINE_GENERATION, which the
 * supervisor sets; a worker started by hand is slot 0, generation 1.
 *
 * <p>{@code FORKLINE_SLOT=standby} starts a warm standby: it holds no slot ({@link #slot()} is
 * {@link #STANDBY}) until the supervisor promotes it into one ({@link #promote}); the slot is read
 * from any thread (heartbeats, INFO), so it is volatile.
 */
final class WorkerIdentity {
    /** The slot of a standby that has not been promoted. */
    static final int STANDBY = -1;

    private final long pid;
    private final int generation;
    private final long startMillis;
    private volatile int slot;

    WorkerIdentity(long pid, int slot, int generation, long startMillis) {
        this.pid = pid;
        this.slot = slot;
        this.generation = generation;
        this.startMillis = startMillis;
    }

    static WorkerIdentity fromEnvironment() {
        String slot = System.getenv("FORKLINE_SLOT");
        return new WorkerIdentity(
                ProcessHandle.current().pid(),
                slot != null && slot.strip().equals("standby") ? STANDBY : intEnv("FORKLINE_SLOT", 0),
                intEnv("FORKLINE_GENERATION", 1),
                // From /proc, without loading the JMX classes a worker otherwise never needs.
                ProcessHandle.current().info().startInstant()
                        .map(java.time.Instant::toEpochMilli).orElse(System.currentTimeMillis()));
    }

    long pid() {
        return pid;
    }

    int slot() {
        return slot;
    }

    int generation() {
        return generation;
    }

    /** Whether it is a standby that has not been promoted yet. */
    boolean standby() {
        return slot == STANDBY;
    }

    /** The supervisor promoted this standby into {@code slot}. */
    void promote(int slot) {
        this.slot = slot;
    }

    long uptimeMillis() {
        return System.currentTimeMillis() - startMillis;
    }

    /** How its log lines are tagged: "worker 2 pid 4242", or "standby pid 4242". */
    String tag() {
        return standby() ? "standby pid " + pid : "worker " + slot + " pid " + pid;
    }

    private static int intEnv(String name, int dflt) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
