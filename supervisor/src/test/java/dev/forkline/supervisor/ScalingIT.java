package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

            assertThat(forkline.log()).anyMatch(l -> l.contains("SIGTTIN: scaling from 3 to 4 workers"))
                    .anyMatch(l -> l.contains("SIGTTOU: scaling from 4 to 3 workers"))
                    .anyMatch(l -> l.contains("draining (scaled down)"));
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
            forkline.awaitLog("SIGTTOU ignored: workers must be from 1 to 1024, not 0");
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
