package dev.forkline.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real terminal for a test: a tmux server of its own (its own socket, no configuration file)
 * running an interactive shell, typed into with send-keys and read with capture-pane, as a person
 * at a terminal would. {@link #close()} ends this server only.
 */
final class Tmux implements AutoCloseable {
    private final String socket = "forkline-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    /** Starts a {@code columns} x {@code rows} terminal running {@code bash --norc}. */
    Tmux(int columns, int rows) throws IOException {
        run("new-session", "-d", "-s", "t", "-x", Integer.toString(columns), "-y", Integer.toString(rows),
                "env", "PS1=$ ", "TERM=screen", "bash", "--norc", "--noprofile");
    }

    /** Types a command line and presses Enter. */
    void type(String commandLine) throws IOException {
        run("send-keys", "-t", "t", "-l", commandLine);
        run("send-keys", "-t", "t", "Enter");
    }

    /** Presses one key, literally ("q", "+", ">"). */
    void press(String key) throws IOException {
        run("send-keys", "-t", "t", "-l", key);
    }

    /** The screen as text, one string per row. */
    String screen() throws IOException {
        return run("capture-pane", "-p", "-t", "t");
    }

    /** The screen with its colours and attributes, as SGR escape sequences. */
    String screenWithAttributes() throws IOException {
        return run("capture-pane", "-p", "-e", "-t", "t");
    }

    /** Whether the program on the terminal has switched to the alternate screen (full-screen mode). */
    boolean alternateScreen() throws IOException {
        return run("display-message", "-p", "-t", "t", "#{alternate_on}").strip().equals("1");
    }

    private String run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "-f", "/dev/null"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("tmux " + String.join(" ", args) + " did not finish within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        try {
            run("kill-server");
        } catch (IOException e) {
            // already gone
        }
    }
}
