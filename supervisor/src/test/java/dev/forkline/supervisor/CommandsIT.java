package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
        String port = Integer.toString(ForklineProcess.freePort());
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
}
