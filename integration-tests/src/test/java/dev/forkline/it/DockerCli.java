package dev.forkline.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code docker} command line, for what the Docker API client of Testcontainers does not do
 * (stack deploy is a CLI feature: it reads the Compose file). Runs with no FORKLINE_* variable of
 * this JVM's environment, so a developer's shell cannot change what a stack file interpolates.
 */
final class DockerCli {
    private DockerCli() {
    }

    /** What one command printed and how it exited. */
    record Result(int exitCode, String stdout, String stderr) {
        String out() {
            return stdout.strip();
        }
    }

    static Result run(Map<String, String> env, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("docker");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
        pb.environment().putAll(env);
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("docker-cli", ".out");
            err = Files.createTempFile("docker-cli", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("docker " + String.join(" ", args) + " did not finish within " + timeout);
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new AssertionError("cannot run docker " + String.join(" ", args)
                    + " (the Docker CLI must be installed: .ci/provision-docker.sh): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    static Result run(String... args) {
        return run(Map.of(), Duration.ofSeconds(120), args);
    }

    /** Runs a command that must succeed; returns its standard output, stripped. */
    static String ok(Map<String, String> env, String... args) {
        Result r = run(env, Duration.ofSeconds(120), args);
        if (r.exitCode() != 0) {
            throw new AssertionError("docker " + String.join(" ", args) + " exited with " + r.exitCode() + ": "
                    + r.stderr().strip());
        }
        return r.out();
    }

    static String ok(String... args) {
        return ok(Map.of(), args);
    }

    /** Non-empty lines of a command that must succeed. */
    static List<String> lines(String... args) {
        return ok(args).lines().filter(l -> !l.isBlank()).toList();
    }

    private static void delete(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a temporary file
            }
        }
    }
}
