package dev.forkline.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A port nobody listens on right now, for a server a test is about to start. */
public final class FreePorts {
    /** Ports this test JVM handed out: the kernel may give a port back to bind(0) as soon as it is closed. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /**
     * Asks the kernel for an ephemeral port and gives it back at once; never one this JVM handed out
     * before: three calls in a row once returned the same port for FORKLINE_PORT and
     * FORKLINE_ADMIN_PORT (ShutdownIT, a loaded machine), which the supervisor rightly refuses.
     */
    public static int next() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
