package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import dev.forkline.protocol.LineClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The AppCDS training run of a worker (see {@code WorkerMain.CDS_TRAINING}): free loopback ports,
 * then one client that uses what a worker serves, so that those classes land in the archive.
 */
final class CdsTraining {
    private static final Logger LOG = Logger.getLogger(CdsTraining.class.getName());

    private CdsTraining() {
    }

    /** The settings with free loopback ports: the training must never collide with a real server. */
    static Map<String, String> settings(Map<String, String> values) {
        // The defaults, not the environment of whoever runs the build (./forkline with its settings
        // exported, FORKLINE_APP included: that must neither fail the build nor start their app).
        Map<String, String> s = new HashMap<>();
        s.put("FORKLINE_HOST", "127.0.0.1");
        s.put("FORKLINE_PORT", Integer.toString(freePort()));
        s.put("FORKLINE_HTTP_PORT", Integer.toString(freePort()));
        return s;
    }

    /** On its own thread: talk to the worker over both protocols, then run {@code done}. */
    static void exercise(WorkerConfig config, Runnable done) {
        Thread t = new Thread(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    try (LineClient c = LineClient.connect("127.0.0.1", config.port())) {
                        c.send("PING");
                        c.send("INFO");
                        c.send("hello");
                        c.pipeline(List.of("PING", "PID", "ping"));
                        c.quit();
                    }
                    http(config.httpPort(), "/");
                    http(config.httpPort(), "/info");
                }
                // What a worker loads after ready, so that it comes from the archive too.
                new JvmFigures().sample();
                LOG.info("CDS training: served its own client");
            } catch (IOException e) {
                LOG.warning("CDS training: " + e);
            }
            done.run();
        }, "forkline-cds-training");
        t.setDaemon(true);
        t.start();
    }

    private static void http(int port, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            in.readAllBytes();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the CDS training run", e);
        }
    }
}
