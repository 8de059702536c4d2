package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.workerSays;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.supervisor.apps.MisbehavingVerticle;
import dev.forkline.supervisor.apps.MultiInstanceVerticle;
import dev.forkline.supervisor.apps.TestApps;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A draining worker lets an application's request in flight finish, answered with
 * {@code Connection: close}, then closes its keep-alive connection (Vert.x 5's graceful server
 * shutdown, and the HTTP guard's header; before the fix the drain found no server to shut down and
 * the undeploy cut the request off).
 */
class AppDrainIT {

    @Test
    void aRequestInFlightIsAnsweredWithConnectionCloseWhenTheWorkerDrains(@TempDir Path dir) throws Exception {
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", appPort));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_APP", TestApps.jar(dir, "app.jar", MisbehavingVerticle.class).toString(),
                "FORKLINE_APP_CONFIG", config.toString()))) {
            forkline.awaitAllReady();
            try (Socket s = new Socket("127.0.0.1", appPort)) {
                s.setSoTimeout(20_000);
                // Keep-alive (HTTP/1.1 default): the server decides when this connection ends.
                s.getOutputStream().write("GET /slow?ms=2000 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                forkline.signal("TERM");
                forkline.await(workerSays("draining on drain command"));

                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.UTF_8); // to EOF: the server closes
                assertThat(response).startsWith("HTTP/1.1 200 ").containsIgnoringCase("\r\nconnection: close\r\n")
                        .endsWith(" slow\n");
            }
            assertThat(forkline.awaitExit(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void everyInstanceOfAVerticleDeployedSeveralTimesDrainsItsRequestsInFlight(@TempDir Path dir) throws Exception {
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", appPort));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_APP", TestApps.jar(dir, "app.jar", MultiInstanceVerticle.class).toString(),
                "FORKLINE_APP_CONFIG", config.toString()))) {
            forkline.awaitAllReady();
            // Six requests in flight, spread by Vert.x over the three instances of the serving verticle.
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    Socket s = new Socket("127.0.0.1", appPort);
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write("GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    clients.add(s);
                }
                // In flight means accepted by the worker (a connection still in the kernel's queue of
                // the only worker's closing listener has nowhere to go).
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                        new JsonObject(forkline.admin("GET", "/status").body()).getLong("connections") == 6);
                forkline.signal("TERM");
                for (Socket s : clients) {
                    String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(response).startsWith("HTTP/1.1 200 ").endsWith(" slow\n");
                }
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            assertThat(forkline.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(forkline.events(workerSays("stop() failed"))).isEmpty();
        }
    }
}
