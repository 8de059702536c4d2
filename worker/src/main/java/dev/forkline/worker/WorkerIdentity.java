package dev.forkline.worker;

/**
 * Who this worker is: its PID, the slot the supervisor gave it and the generation (incremented by
 * each reload). Slot and generation come from FORKLINE_SLOT and FORKLINE_GENERATION, which the
 * supervisor sets; a worker started by hand is slot 0, generation 1.
 */
record WorkerIdentity(long pid, int slot, int generation, long startMillis) {

    static WorkerIdentity fromEnvironment() {
        return new WorkerIdentity(
                ProcessHandle.current().pid(),
                intEnv("FORKLINE_SLOT", 0),
                intEnv("FORKLINE_GENERATION", 1),
                // From /proc, without loading the JMX classes a worker otherwise never needs.
                ProcessHandle.current().info().startInstant()
                        .map(java.time.Instant::toEpochMilli).orElse(System.currentTimeMillis()));
    }

    long uptimeMillis() {
        return System.currentTimeMillis() - startMillis;
    }

    String tag() {
        return "worker " + slot + " pid " + pid;
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
