package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static dev.forkline.testkit.LogEventMatcher.workerSays;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.supervisor.apps.FailingVerticle;
import dev.forkline.supervisor.apps.TestApps;
import dev.forkline.testkit.AppJars;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import dev.forkline.testkit.SteadyLoad;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero-downtime deploys of an application: replace the jar, reload. A new version takes every slot
 * without a failed connection or request; a version that cannot boot never takes traffic.
 */
class AppDeployIT {

    @Test
    void deploysANewVersionUnderLoadAndNeverGivesTrafficToABrokenOne(@TempDir Path dir) throws Exception {
        Path app = TestApps.example(dir, "kv.jar", "1.0.0");
        Path v2 = TestApps.example(dir, "kv-2.jar", "2.0.0");
        Path v3 = TestApps.jar(dir, "broken-3.jar", FailingVerticle.class);
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "kv.json", new JsonObject().put("port", appPort).put("host", "127.0.0.1"));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "3",
                "FORKLINE_APP", app.toString(),
                "FORKLINE_APP_CONFIG", config.toString()))) {
            forkline.awaitAllReady();
            SteadyLoad load = SteadyLoad.http("127.0.0.1", appPort, "/", 4, Duration.ofMillis(5),
                    Duration.ofSeconds(120), 20_000);
            // And clients that keep their connections open between requests, as HTTP client pools do.
            SteadyLoad pooled = SteadyLoad.httpKeepAlive("127.0.0.1", appPort, "/", 4, Duration.ofMillis(5),
                    Duration.ofSeconds(120), 20_000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 200 && pooled.probes() > 200);

            // v1 → v2: the operator replaces the file by rename and reloads.
            AppJars.deployByRename(v2, app);
            ForklineProcess.CommandResult reload = forkline.command("reload");
            long reloaded = System.nanoTime();
            assertThat(reload.exitCode()).as(reload.stderr()).isZero();
            assertThat(reload.stdout()).contains("reloaded to generation 2");
            long after = load.probes() + 300;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > after);
            assertThat(load.answersSince(reloaded)).isNotEmpty().allMatch(a -> a.startsWith("forkline example kv 2.0.0"));
            // Each old worker drained: its listener closed, then its verticle undeployed (stop() ran).
            assertThat(forkline.events(workerSays("kv 1.0.0 stopping"))).hasSize(3);

            // v2 → a v3 that cannot boot: the reload is abandoned with the app's own reason, v2 serves on.
            AppJars.deployByRename(v3, app);
            ForklineProcess.CommandResult broken = forkline.command("reload");
            long abandoned = System.nanoTime();
            assertThat(broken.exitCode()).isNotZero();
            assertThat(broken.stderr()).contains("cannot reach the database at db.internal:5432");
            assertThat(forkline.events(event("reload_abandoned").with("generation", 3)
                    .withContaining("reason", "cannot reach the database at db.internal:5432"))).hasSize(1);
            long later = load.probes() + 300;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > later);
            assertThat(load.answersSince(abandoned)).isNotEmpty().allMatch(a -> a.startsWith("forkline example kv 2.0.0"));

            SteadyLoad.Result kept = pooled.stop();
            System.out.println("two deploys, keep-alive clients: " + kept);
            assertThat(kept.failed()).as("%s", kept.firstFailures()).isZero();
            assertThat(pooled.answersSince(abandoned)).isNotEmpty().allMatch(a -> a.startsWith("forkline example kv 2.0.0"));
            SteadyLoad.Result result = load.stop();
            System.out.println("two deploys, a connection per request: " + result);
            assertThat(result.failedRequests()).as("%s", result.firstFailures()).isZero();
            if (ReloadIT.migrateReq()) {
                assertThat(result.failedConnections()).as("%s", result.firstFailures()).isZero();
            } else {
                // Without tcp_migrate_req the kernel resets what sits in a closing listener's queue (ReloadIT).
                assertThat(result.failedConnections()).isLessThan(Math.max(5, result.probes() / 1000));
            }

            // A respawn runs its generation's own copy of the app, not the broken file now on disk.
            int mark = forkline.mark();
            long victim = forkline.workerPids().iterator().next();
            ForklineProcess.signal(victim, "KILL");
            long replacement = forkline.await(event("worker_respawned"), mark, Duration.ofSeconds(30)).number("pid");
            forkline.await(event("worker_ready").with("pid", replacement), mark, Duration.ofSeconds(60));
            long respawnedAt = System.nanoTime();
            try (SteadyLoad check = SteadyLoad.http("127.0.0.1", appPort, "/", 2, Duration.ofMillis(2),
                    Duration.ofSeconds(30), 5_000)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> check.pidsSeen().contains(replacement));
                assertThat(check.stop().failed()).isZero();
                assertThat(check.answersSince(respawnedAt)).isNotEmpty()
                        .allMatch(a -> a.startsWith("forkline example kv 2.0.0"));
            }
        }
    }
}
