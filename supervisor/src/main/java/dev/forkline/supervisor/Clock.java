package dev.forkline.supervisor;

/**
 * The supervisor's time, injected so that its state machine runs in tests without waiting (a fake
 * clock moves only when the test moves it).
 */
interface Clock {
    /** Monotonic time for durations and deadlines ({@link System#nanoTime()}). */
    long nanos();

    /** Wall-clock time, only for what people read (start times in the status). */
    long epochMillis();

    Clock SYSTEM = new Clock() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public long epochMillis() {
            return System.currentTimeMillis();
        }
    };
}
