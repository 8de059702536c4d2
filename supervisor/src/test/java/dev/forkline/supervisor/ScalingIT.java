package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.ForklineProcess;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runtime scaling through the three doors an operator has: the API, the signals, the command. */
class ScalingIT {

    @Test
    void scalesUpAndDownThroughTheApiTheSignalsAndTheScaleCommand() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            forkline.awaitAllReady();

            ForklineProcess.Http up = forkline.admin("POST", "/workers?count=3");
            assertThat(up.status()).isEqualTo(200);
            assertThat(up.body()).contains("\"workers\":3");
            awaitServing(forkline, 3);

            forkline.signal("TTIN");
            awaitServing(forkline, 4);

            forkline.signal("TTOU");
            awaitServing(forkline, 3);

            ForklineProcess.CommandResult scale = forkline.command("scale", "1");
            assertThat(scale.exitCode()).as(scale.stderr()).isZero();
            assertThat(scale.stdout()).contains("scaling to 1 workers");
            awaitServing(forkline, 1);

            assertThat(forkline.events(event("scaled").with("trigger", "SIGTTIN").with("from", 3).with("to", 4))).hasSize(1);
            assertThat(forkline.events(event("scaled").with("trigger", "SIGTTOU").with("from", 4).with("to", 3))).hasSize(1);
            assertThat(forkline.events(event("worker_draining").with("slot", 3).with("reason", "scaled down"))).hasSize(1);
        }
    }

    @Test
    void refusesAWorkerCountOutOfRange() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            forkline.awaitAllReady();
            // Out of range is a bad request like a non-number (400); 409 is for what the state refuses.
            assertThat(forkline.admin("POST", "/workers?count=0").status()).isEqualTo(400);
            assertThat(forkline.admin("POST", "/workers?count=lots").status()).isEqualTo(400);
            forkline.signal("TTOU");
            forkline.await(event("signal_ignored").with("signal", "TTOU")
                    .with("reason", "workers must be from 1 to 1024, not 0"));
        }
    }

    /** Waits until exactly {@code n} workers serve and no other worker process is left. */
    static void awaitServing(ForklineProcess forkline, int n) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonObject s = new JsonObject(forkline.admin("GET", "/status").body());
            long ready = s.getJsonArray("workers").stream().map(JsonObject.class::cast)
                    .filter(w -> w.getString("role").equals("serving") && w.getString("state").equals("ready")).count();
            return ready == n && s.getJsonArray("workers").size() == n && forkline.workerPids().size() == n;
        });
    }
}
