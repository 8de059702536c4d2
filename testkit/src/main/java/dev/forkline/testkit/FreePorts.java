package dev.forkline.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** A port nobody listens on right now, for a server a test is about to start. */
public final class FreePorts {
    /** Ports this test JVM handed out, never handed out twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    /** Below the kernel's ephemeral range: see {@link #next}. */
    private static final int LOWEST = 10_000;
    private static final int BELOW_EPHEMERAL = ephemeralLow();

    private FreePorts() {
    }

    /**
     * A port below the kernel's ephemeral range (net.ipv4.ip_local_port_range) that binds right now
     * and that this JVM never handed out before. Not an ephemeral port from bind(0): between the
     * test closing it and the server binding it, any outgoing connection on the machine may take it
     * as its local port — chromedriver's and the browsers' own connections did (DashboardIT: "port
     * taken"), and three bind(0) calls in a row once returned one port twice (ShutdownIT). Ports
     * below the range are never given to a connection or to bind(0), only to whoever names them.
     */
    public static int next() {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, BELOW_EPHEMERAL);
            if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + LOWEST + " and " + BELOW_EPHEMERAL);
    }

    private static boolean bindable(int port) {
        // Both the wildcard and loopback: servers under test bind one or the other.
        try (ServerSocket any = new ServerSocket()) {
            any.setReuseAddress(false);
            any.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            return false;
        }
        try (ServerSocket loopback = new ServerSocket()) {
            loopback.setReuseAddress(false);
            loopback.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
    private static int ephemeralLow() {
        try {
            String text;
            // Read to the end: a /proc file reports size 0, and one read may not return all of it.
            try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            }
            String[] range = text.trim().split("\\s+");
            int low = Integer.parseInt(range[0]);
            return low > LOWEST + 1000 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
