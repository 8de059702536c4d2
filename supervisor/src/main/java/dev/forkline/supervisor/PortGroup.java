package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import dev.forkline.os.ExitCodes;
import java.util.Optional;
import java.util.Set;

/**
 * Who may share the reuse-port group of our ports, and what follows once they are checked. An
 * application's ports are known only when its workers are ready, so the {@link Supervisor} asks
 * once, when every worker of the first start is ready: {@link #ALONE} ({@code forkline run}) lets
 * nobody in; {@link Takeover} ({@code forkline takeover}) lets in the Forkline it replaces, and then
 * tells that one to stop.
 */
interface PortGroup {
    /** Why the first start halts, as the stop's trigger, and its exit code. */
    record Halt(String trigger, int exitCode) {
    }

    /**
     * Checks the listening addresses ({@code host:port}) of a ready application against the other
     * listeners on their ports ({@code ours}: our workers' pids); logs and returns the halt when one
     * is not allowed. Runs on the supervisor's loop thread.
     */
    Optional<Halt> check(Set<String> addresses, Set<Long> ours);

    /** Every worker of the first start is ready and the ports are checked. Runs on the loop thread: must not block. */
    void started();

    /**
     * {@code forkline run}: an application's ports are bound with SO_REUSEPORT in every worker, so
     * another process of the same user that listens the same way (a second Forkline running the
     * same app, by mistake) would silently share its connections: a listener that is none of ours
     * halts the start, as a taken port does.
     */
    PortGroup ALONE = new PortGroup() {
        private static final Log LOG = Log.get(PortGroup.class);

        @Override
        public Optional<Halt> check(Set<String> addresses, Set<Long> ours) {
            return PortOwner.sharedPort(addresses, ours).map(message -> {
                LOG.error("boot_error").with("reason", message).with("halt", true).log(message);
                return new Halt("a shared application port", ExitCodes.BOOT);
            });
        }

        @Override
        public void started() {
        }
    };
}
