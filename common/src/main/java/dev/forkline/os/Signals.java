package dev.forkline.os;

import java.util.logging.Logger;

/**
 * POSIX signal handlers, the one place Forkline touches {@code sun.misc.Signal} (module
 * jdk.unsupported: the only JDK API for handling signals, stable since JDK 1.3 and kept open for
 * exactly this use by JEP 260).
 */
public final class Signals {
    private static final Logger LOG = Logger.getLogger(Signals.class.getName());

    private Signals() {
    }

    /**
     * Runs {@code action} on the JVM's signal thread when {@code name} (e.g. "TERM") arrives. Keep
     * it short: enqueue work for another thread. Returns false if this JVM does not let us handle
     * that signal (it reserves some, e.g. QUIT for thread dumps).
     */
    public static boolean handle(String name, Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> action.run());
            return true;
        } catch (IllegalArgumentException e) {
            LOG.fine(() -> "cannot handle SIG" + name + ": " + e.getMessage());
            return false;
        }
    }
}
