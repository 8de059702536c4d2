package dev.forkline.supervisor;

/** A clock that moves only when the test moves it. */
final class FakeClock implements Clock {
    /** An arbitrary origin, as System.nanoTime() has one. */
    private long nanos = 1_000_000_000_000L;
    private static final long EPOCH_AT_ORIGIN = 1_790_000_000_000L;

    @Override
    public long nanos() {
        return nanos;
    }

    @Override
    public long epochMillis() {
        return EPOCH_AT_ORIGIN + nanos / 1_000_000;
    }

    void set(long nanos) {
        if (nanos < this.nanos) {
            throw new IllegalArgumentException("a monotonic clock does not go back");
        }
        this.nanos = nanos;
    }
}
