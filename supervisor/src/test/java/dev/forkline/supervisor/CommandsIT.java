package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's subcommands of the jar, against a running supervisor and against none. */
class CommandsIT {

    @Test
    void statusReloadAndStopTalkToARunningSupervisor() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();

            ForklineProcess.CommandResult status = forkline.command("status");
            assertThat(status.exitCode()).as(status.stderr()).isZero();
            assertThat(status.stdout()).contains("forkline pid " + forkline.pid(), "2/2 workers ready",
                    "SLOT", "PID", "GEN", "STATE", "UPTIME", "RESTARTS", "CONNS", "REQUESTS");
            ready.values().forEach(pid -> assertThat(status.stdout()).contains(Long.toString(pid)));

            ForklineProcess.CommandResult reload = forkline.command("reload");
            assertThat(reload.exitCode()).as(reload.stderr()).isZero();
            assertThat(reload.stdout()).matches("(?s)reloaded to generation 2 in \\d+ ms\\s*");
            ForklineProcess.CommandResult after = forkline.command("status");
            assertThat(after.stdout()).contains("generation 2");
            ready.values().forEach(pid -> assertThat(after.stdout()).doesNotContain(" " + pid + " "));

            ForklineProcess.CommandResult stop = forkline.command("stop");
            assertThat(stop.exitCode()).isZero();
            assertThat(forkline.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void eachCommandFailsWithOneClearLineWhenNoSupervisorRuns() throws Exception {
        String port = Integer.toString(FreePorts.next());
        for (String[] args : new String[][] {{"status"}, {"reload"}, {"scale", "3"}, {"stop"}}) {
            ForklineProcess.CommandResult r = ForklineProcess.command(Map.of("FORKLINE_ADMIN_PORT", port), args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.stdout()).isEmpty();
            assertThat(r.stderr().strip()).doesNotContain("\n")
                    .startsWith("forkline: cannot reach the supervisor at http://127.0.0.1:" + port);
        }
    }

    @Test
    void scaleWithoutACountIsAUsageError() throws Exception {
        ForklineProcess.CommandResult r = ForklineProcess.command(Map.of(), "scale");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("forkline: usage: forkline scale N");
    }

    @Test
    void aReloadThatCannotBootFailsWithTheReasonAndTheOldGenerationKeepsServing(@TempDir Path dir) throws Exception {
        // Issue 9 shows why a new version was not deployed from this: the last reload's outcome.
        Path config = dir.resolve("forkline.json");
        Files.writeString(config, "{\"FORKLINE_WORKERS\": 2}");
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_CONFIG", config.toString()))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            // The next generation's workers cannot boot: Netty's own switch turns the native transport off.
            Files.writeString(config, "{\"FORKLINE_WORKERS\": 2,"
                    + " \"FORKLINE_WORKER_JVM_OPTS\": \"-Dio.netty.transport.noNative=true\"}");

            ForklineProcess.CommandResult reload = forkline.command("reload");

            assertThat(reload.exitCode()).isEqualTo(1);
            assertThat(reload.stderr().strip()).doesNotContain("\n").startsWith("forkline: reload to generation 2 abandoned: ")
                    .contains("could not boot: the native epoll transport is unavailable");
            ForklineProcess.CommandResult status = forkline.command("status");
            assertThat(status.stdout()).contains("generation 1, 2/2 workers ready")
                    .contains("last reload: generation 2 abandoned: ");
            ready.values().forEach(pid -> assertThat(status.stdout()).contains(" " + pid + " "));
            assertThat(forkline.process.isAlive()).isTrue();
        }
    }

    @Test
    void aReloadWithAnInvalidConfigurationIsRefusedWithTheReason(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("forkline.properties");
        Files.writeString(config, "FORKLINE_WORKERS=1\n");
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_CONFIG", config.toString()))) {
            forkline.awaitAllReady();
            Files.writeString(config, "FORKLINE_WORKERS=1\nFORKLINE_MAX_LINE=lots\n");

            ForklineProcess.CommandResult reload = forkline.command("reload");

            assertThat(reload.exitCode()).isEqualTo(1);
            assertThat(reload.stderr()).startsWith("forkline: reload refused, the configuration is invalid: "
                    + "FORKLINE_MAX_LINE=lots is invalid: expected an integer from 16 to 16777216");
            assertThat(forkline.command("status").stdout())
                    .contains("last reload: refused: the configuration is invalid: FORKLINE_MAX_LINE=lots")
                    .doesNotContain("refused: reload refused");
            assertThat(forkline.events(event("config_read").with("file", config.toString()))).hasSize(1);
        }
    }
}
