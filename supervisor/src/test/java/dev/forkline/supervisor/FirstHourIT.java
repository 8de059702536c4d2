package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import dev.forkline.testkit.LogEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a new operator runs into in the first hour (issue 11): each gets one clear line. */
class FirstHourIT {

    private static void assertRefusedWithOneLine(ForklineProcess forkline, int exitCode, String message)
            throws InterruptedException {
        int code = forkline.awaitExit(Duration.ofSeconds(60));
        List<LogEvent> errors = forkline.events(e -> e.level().equals("ERROR"));
        assertThat(code).isEqualTo(exitCode);
        assertThat(errors).singleElement().satisfies(e -> assertThat(e.message()).contains(message));
        assertThat(forkline.spawnedPids()).isEmpty();
    }

    @Test
    void aJvmOptionTheJvmRefusesIsAConfigurationErrorNotACrashLoop() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKER_JVM_OPTS", "-XX:+Bogus"))) {
            assertRefusedWithOneLine(forkline, 2, "FORKLINE_WORKER_JVM_OPTS=-XX:+Bogus is invalid: expected options"
                    + " this JVM accepts (java -XX:+Bogus -version: Unrecognized VM option 'Bogus'");
        }
    }

    @Test
    void anAdminPortEqualToTheProtocolPortIsAConfigurationError() throws Exception {
        int port = FreePorts.next();
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_PORT", Integer.toString(port), "FORKLINE_ADMIN_PORT", Integer.toString(port)))) {
            assertRefusedWithOneLine(forkline, 2, "FORKLINE_ADMIN_PORT=" + port + " is invalid: expected 0 (off)"
                    + " or a port other than FORKLINE_PORT's and FORKLINE_HTTP_PORT's");
        }
    }

    @Test
    void anAdminPortEqualToTheHttpPortIsAConfigurationError() throws Exception {
        int port = FreePorts.next();
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_HTTP_PORT", Integer.toString(port), "FORKLINE_ADMIN_PORT", Integer.toString(port)))) {
            assertRefusedWithOneLine(forkline, 2, "FORKLINE_ADMIN_PORT=" + port + " is invalid");
        }
    }

    @Test
    void aHostThatIsNotAnAddressIsAConfigurationErrorWithTheRightHint() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_HOST", "not-an-ip.invalid"))) {
            assertRefusedWithOneLine(forkline, 2, "FORKLINE_HOST=not-an-ip.invalid is invalid: expected an IP"
                    + " address of this machine");
        }
    }

    @Test
    void aHostOfAnotherMachineIsAConfigurationErrorNotATakenPort() throws Exception {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine; nothing is sent to it.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_HOST", "192.0.2.1"))) {
            assertRefusedWithOneLine(forkline, 2, "FORKLINE_HOST=192.0.2.1 is invalid: expected an address of this machine");
        }
    }

    @Test
    void aSecondForklineOnTheSamePortsNamesTheRunningOneAndEveryTakenPort() throws Exception {
        try (ForklineProcess first = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            first.awaitAllReady();
            Map<String, String> same = Map.of(
                    "FORKLINE_HOST", "127.0.0.1",
                    "FORKLINE_PORT", Integer.toString(first.port),
                    "FORKLINE_HTTP_PORT", Integer.toString(first.httpPort),
                    "FORKLINE_ADMIN_PORT", Integer.toString(first.adminPort),
                    "FORKLINE_LOG_FORMAT", "json");
            try (ForklineProcess second = ForklineProcess.startExactly(same, List.of())) {
                assertRefusedWithOneLine(second, 4, "Forkline is already running (supervisor pid " + first.pid()
                        + ") on 127.0.0.1:" + first.port + " (FORKLINE_PORT), 127.0.0.1:" + first.httpPort
                        + " (FORKLINE_HTTP_PORT), 127.0.0.1:" + first.adminPort + " (FORKLINE_ADMIN_PORT)");
            }
        }
    }

    @Test
    void versionPrintsTheVersionFromTheJar() throws Exception {
        for (String arg : List.of("--version", "version")) {
            ForklineProcess.CommandResult r = ForklineProcess.command(Map.of(), arg);
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).startsWith("forkline 0.").contains("(Java ");
        }
    }

    @Test
    void probesAreOpenWhenATokenIsSetAndEverythingElseStillNeedsIt() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1", "FORKLINE_ADMIN_TOKEN", "0123456789abcdef0123"))) {
            forkline.awaitAllReady();
            assertThat(forkline.admin("GET", "/livez").status()).isEqualTo(200);
            assertThat(forkline.admin("GET", "/healthz").status()).isEqualTo(200);
            assertThat(forkline.admin("GET", "/readyz").status()).isEqualTo(200);
            assertThat(forkline.admin("GET", "/status").status()).isEqualTo(401);
            assertThat(forkline.admin("GET", "/metrics").status()).isEqualTo(401);
            assertThat(forkline.admin("POST", "/stop").status()).isEqualTo(401);
        }
    }

    @Test
    void badCountsAre400AndA405NamesTheAllowedMethods() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            forkline.awaitAllReady();
            for (String count : List.of("0", "-1", "1025", "many", "")) {
                assertThat(forkline.admin("POST", "/workers?count=" + count).status()).as("count=%s", count)
                        .isEqualTo(400);
            }
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + forkline.adminPort + "/stop"))
                            .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(405);
            assertThat(r.headers().firstValue("allow")).hasValue("POST");
        }
    }

    /**
     * deploy/healthcheck.sh (the image's HEALTHCHECK, the Kubernetes exec probes) against an admin API
     * on ::1: its Host header must bracket the address (RFC 9112 §3.2), else the server answers 400
     * and every probe fails.
     */
    @Test
    void theHealthcheckScriptProbesAnIpv6AdminAddress() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1", "FORKLINE_ADMIN_HOST", "::1"))) {
            forkline.awaitAllReady();
            // The admin API's first answer can take seconds (Netty registers its JFR events on the
            // first buffer chunk); the script allows 2 s, as a probe would. What is tested here is
            // the Host header, so the API answers once first.
            java.net.http.HttpResponse<Void> first = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://[::1]:" + forkline.adminPort + "/livez"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.discarding());
            assertThat(first.statusCode()).isEqualTo(200);
            for (String probe : List.of("ready", "live")) {
                ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "deploy", "healthcheck.sh").toString(), probe)
                        .redirectErrorStream(true);
                pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
                pb.environment().putAll(Map.of("FORKLINE_ADMIN_HOST", "::1",
                        "FORKLINE_ADMIN_PORT", Integer.toString(forkline.adminPort)));
                Process p = pb.start();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("healthcheck.sh %s finished", probe).isTrue();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertThat(p.exitValue()).as("healthcheck.sh %s: %s", probe, out).isZero();
                assertThat(out).startsWith(probe.equals("ready") ? "/readyz: ok" : "/livez: ok");
            }
        }
    }

    @Test
    void anIpv6AdminAddressIsPrintedInBrackets() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1", "FORKLINE_ADMIN_HOST", "::1"))) {
            assertThat(forkline.await(event("admin_listening").with("port", forkline.adminPort)).message())
                    .startsWith("admin API on http://[::1]:" + forkline.adminPort);
        }
    }
}
