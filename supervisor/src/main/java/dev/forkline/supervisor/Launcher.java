package dev.forkline.supervisor;

import dev.forkline.protocol.ControlMessage;
import java.io.IOException;

/**
 * Starts workers and acts on them: everything the state machine does to a process goes through
 * here, so that it runs in tests against fake processes. {@link ProcessLauncher} starts real JVMs.
 * What a worker says, and its exit, come back as {@link Event}s on the supervisor's queue.
 */
interface Launcher {

    /** The slot of a warm standby: booted, not listening, until it is sent {@code promote}. */
    int STANDBY = -1;

    /**
     * Starts a worker for {@code slot} with the settings of {@code generation}, or a standby
     * ({@link #STANDBY}).
     */
    WorkerHandle spawn(int slot, Generation generation) throws IOException;

    /** One started worker process. Only the supervisor's loop thread calls these. */
    interface WorkerHandle {
        long pid();

        /** Sends a command over the control channel; false if the channel is broken (use a signal then). */
        boolean send(ControlMessage command);

        /** SIGTERM: the worker drains, as after the {@code drain} command. */
        void terminate();

        /** SIGKILL. */
        void kill();
    }
}
