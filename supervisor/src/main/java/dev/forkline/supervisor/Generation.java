package dev.forkline.supervisor;

import dev.forkline.app.AppSpec;
import java.util.Optional;

/**
 * One generation of workers: its number (1 at start, one more for each reload), the settings every
 * worker of it is started with, and its own copy of the application ({@link AppSnapshots}), whether
 * the worker is the first of its slot or a respawn. A reload makes the next generation from the
 * configuration read again and a fresh copy of the application; a slot keeps the generation of the
 * worker that holds it until a reload replaces that worker.
 *
 * @param app the generation's copy of the user's application; empty for the built-in server
 */
record Generation(int number, SupervisorConfig config, Optional<AppSpec> app) {

    /** Generation {@code number} of {@code config}, with a copy of its application taken now. */
    static Generation of(int number, SupervisorConfig config, AppSnapshots apps) {
        return new Generation(number, config, config.app().map(app -> apps.take(number, app)));
    }
}
