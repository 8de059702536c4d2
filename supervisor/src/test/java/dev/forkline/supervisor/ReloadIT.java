package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.SteadyLoad;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Zero-downtime rolling reload: every worker replaced while clients keep connecting. */
class ReloadIT {

    /** net.ipv4.tcp_migrate_req of this network namespace (CI sets it to 1, as Compose does). */
    static boolean migrateReq() throws java.io.IOException {
        java.nio.file.Path p = java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
        return java.nio.file.Files.exists(p) && java.nio.file.Files.readString(p).strip().equals("1");
    }

    @Test
    void reloadsOnSighupWithoutFailingAConnectionOrARequest() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            Set<Long> before = new HashSet<>(forkline.awaitAllReady().values());
            int mark = forkline.mark();

            // Several client threads open connections and send requests during the whole reload.
            SteadyLoad load = SteadyLoad.start("127.0.0.1", forkline.port, 4, Duration.ofMillis(5),
                    Duration.ofSeconds(60), 20_000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 200);
            forkline.signal("HUP");
            forkline.await(event("reload_completed").with("generation", 2), mark, Duration.ofSeconds(60));
            long after = load.probes() + 500;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > after);
            SteadyLoad.Result result = load.stop();

            System.out.println("SIGHUP reload under load: " + result);
            JsonObject status = new JsonObject(forkline.admin("GET", "/status").body());
            Set<Long> serving = status.getJsonArray("workers").stream().map(JsonObject.class::cast)
                    .filter(w -> w.getString("role").equals("serving"))
                    .map(w -> w.getLong("pid")).collect(Collectors.toSet());
            assertThat(status.getInteger("generation")).isEqualTo(2);
            assertThat(status.getJsonArray("workers").stream().map(JsonObject.class::cast)
                    .filter(w -> w.getString("role").equals("serving")))
                    .hasSize(4).allSatisfy(w -> assertThat(w.getInteger("generation")).isEqualTo(2));
            assertThat(serving).as("every PID replaced").doesNotContainAnyElementsOf(before);
            assertThat(result.perPid().keySet()).as("the new workers served").containsAll(serving);
            assertThat(result.failedRequests()).as("failed requests: %s", result.firstFailures()).isZero();
            if (migrateReq()) {
                assertThat(result.failedConnections()).as("failed connections: %s", result.firstFailures()).isZero();
            } else {
                // Without tcp_migrate_req the kernel resets what sits in a closing listener's accept
                // queue: rare (about 1 in 10^4 here), never our doing, and the supervisor warns.
                System.out.println("net.ipv4.tcp_migrate_req=0 on this host: " + result.failedConnections()
                        + " connections reset by the kernel (0 expected with tcp_migrate_req=1, as in CI)");
                assertThat(forkline.events(event("migrate_req_off").level("WARN").with("value", "0"))).hasSize(1);
                assertThat(result.firstFailures()).allMatch(f -> f.contains("Connection reset"));
                assertThat(result.failedConnections()).isLessThan(Math.max(5, result.probes() / 1000));
            }
        }
    }
}
