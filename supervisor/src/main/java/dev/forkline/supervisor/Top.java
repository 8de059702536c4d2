package dev.forkline.supervisor;

import dev.forkline.os.ExitCodes;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp;
import org.jline.utils.NonBlockingReader;

/**
 * {@code forkline top}: the workers live, refreshed every second (PM2's {@code monit}, htop). On a
 * terminal it takes the whole screen (JLine: raw mode, the alternate screen, a {@link Display} that
 * redraws only what changed) and reads keys; anywhere else (a pipe, a file) it prints a plain table
 * every second; {@code --once} prints one and exits, for scripts.
 *
 * <p>It reads {@code /status} and the new {@code /events} once a second, through the same admin API
 * and settings as the other commands. A refused token or an unreachable supervisor before the first
 * screen: one line, exit 1, the terminal untouched. A supervisor that goes away later, or starts
 * refusing the token (restarted with another one): the terminal is restored first, then one line
 * says which, exit 1.
 */
final class Top {
    static final String USAGE = "usage: forkline top [--once]";
    private static final long REFRESH_MILLIS = 1000;
    /**
     * An answer from the loopback admin API takes milliseconds; this long means the supervisor is
     * stuck or gone. Not less: a machine under heavy load took more than 3 s for the first answer
     * (a cold client and server), and top must not give up on a supervisor that is merely slow.
     */
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(10);
    /** Events kept for the screen: more than fit on any terminal. */
    private static final int EVENTS_KEPT = 200;

    private final AdminClient client;
    private final PrintStream out;
    private final PrintStream err;
    private final Deque<JsonObject> events = new ArrayDeque<>();
    private long lastEvent;
    private JsonObject status;

    private Top(AdminClient client, PrintStream out, PrintStream err) {
        this.client = client;
        this.out = out;
        this.err = err;
    }

    static int run(AdminClient client, List<String> args, PrintStream out, PrintStream err) {
        boolean once = args.equals(List.of("--once"));
        if (!args.isEmpty() && !once) {
            err.println("forkline: " + USAGE);
            return ExitCodes.CONFIG;
        }
        Top top = new Top(client, out, err);
        try {
            top.poll();
        } catch (AdminClient.Failure f) {
            err.println("forkline: " + f.getMessage());
            return AdminClient.FAILED;
        }
        if (once) {
            top.printPlain();
            return ExitCodes.OK;
        }
        // System.console() is null unless both stdin and stdout are a terminal: keys need the one,
        // the screen the other.
        return System.console() != null ? top.fullScreen() : top.periodic();
    }

    /** Reads /status and the events since the last poll. */
    private void poll() throws AdminClient.Failure {
        JsonObject s = json(client.call("GET", "/status", POLL_TIMEOUT));
        JsonObject e = json(client.call("GET", "/events?after=" + lastEvent, POLL_TIMEOUT));
        status = s;
        if (e.getValue("events") instanceof JsonArray list) {
            for (Object o : list) {
                if (o instanceof JsonObject event && TopScreen.num(event, "seq") > lastEvent) {
                    lastEvent = (long) TopScreen.num(event, "seq");
                    events.addLast(event);
                    if (events.size() > EVENTS_KEPT) {
                        events.removeFirst();
                    }
                }
            }
        }
        // A restarted supervisor numbers its events from 1 again.
        if (TopScreen.num(e, "last") < lastEvent) {
            lastEvent = 0;
            events.clear();
        }
    }

    private JsonObject json(String body) throws AdminClient.Failure {
        try {
            return new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            throw new AdminClient.Failure("the admin API at " + client.base() + " answered something that is not"
                    + " a JSON object: is FORKLINE_ADMIN_PORT the supervisor's?");
        }
    }

    private void printPlain() {
        TopScreen.plain(status, List.copyOf(events), System.currentTimeMillis()).forEach(out::println);
        out.flush();
    }

    /** Not a terminal: a plain table every second, new events as lines, until the supervisor goes away. */
    private int periodic() {
        long printedEvent = lastEvent;
        while (true) {
            printPlain();
            for (JsonObject e : events) {
                if (TopScreen.num(e, "seq") > printedEvent) {
                    out.println("event " + TopScreen.str(e, "kind") + " " + TopScreen.whole(TopScreen.num(e, "slot"))
                            + " " + TopScreen.whole(TopScreen.num(e, "pid")) + ": " + TopScreen.str(e, "message"));
                }
            }
            printedEvent = lastEvent;
            out.println();
            out.flush();
            try {
                Thread.sleep(REFRESH_MILLIS);
                poll();
            } catch (AdminClient.Failure f) {
                err.println(lost(f));
                return AdminClient.FAILED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.OK;
            }
        }
    }

    // ---- full screen ----

    private Terminal terminal;
    private Attributes savedAttributes;
    private boolean restored;
    private volatile boolean quit;
    private volatile boolean resized;
    private TopScreen.Sort sort = TopScreen.Sort.BY_SLOT;
    private String message = "";
    private long messageUntil;

    private int fullScreen() {
        try {
            terminal = TerminalBuilder.builder().system(true).name("forkline top").build();
        } catch (IOException e) {
            err.println("forkline: cannot use this terminal (" + e.getMessage() + "); try forkline top --once");
            return AdminClient.FAILED;
        }
        Thread restoreOnExit = new Thread(this::restore, "forkline-top-restore");
        Runtime.getRuntime().addShutdownHook(restoreOnExit);
        AdminClient.Failure lost = null;
        try {
            savedAttributes = terminal.enterRawMode();
            terminal.puts(InfoCmp.Capability.enter_ca_mode);
            terminal.puts(InfoCmp.Capability.keypad_xmit);
            terminal.puts(InfoCmp.Capability.cursor_invisible);
            // The alternate screen keeps the cursor where the shell left it; Display draws relative
            // to the top left corner, so start there on a clean screen.
            terminal.puts(InfoCmp.Capability.clear_screen);
            terminal.flush();
            terminal.handle(Terminal.Signal.INT, s -> quit = true);
            terminal.handle(Terminal.Signal.WINCH, s -> resized = true);
            Display display = new Display(terminal, true);
            Size size = terminal.getSize();
            display.resize(size.getRows(), size.getColumns());
            NonBlockingReader keys = terminal.reader();
            long nextPoll = System.currentTimeMillis() + REFRESH_MILLIS;
            while (!quit) {
                if (resized) {
                    resized = false;
                    size = terminal.getSize();
                    display.clear();
                    display.resize(size.getRows(), size.getColumns());
                }
                draw(display, size);
                long wait = nextPoll - System.currentTimeMillis();
                int key = wait > 0 ? keys.read(wait) : NonBlockingReader.READ_EXPIRED;
                if (key >= 0) {
                    onKey(key);
                } else if (key == NonBlockingReader.EOF) {
                    break;
                } else if (System.currentTimeMillis() >= nextPoll) {
                    nextPoll = System.currentTimeMillis() + REFRESH_MILLIS;
                    poll();
                }
            }
        } catch (AdminClient.Failure f) {
            lost = f;
        } catch (IOException e) {
            restore();
            err.println("forkline top: the terminal failed: " + e.getMessage());
            return AdminClient.FAILED;
        } finally {
            restore();
            try {
                Runtime.getRuntime().removeShutdownHook(restoreOnExit);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs restore(), which is idempotent
            }
        }
        if (lost != null) {
            err.println(lost(lost));
            return AdminClient.FAILED;
        }
        return ExitCodes.OK;
    }

    /** The one line top ends with when polling fails: a refused token is not a supervisor gone. */
    private static String lost(AdminClient.Failure f) {
        return f instanceof AdminClient.Unauthorized ? "forkline top: " + f.getMessage()
                : "forkline top: the supervisor went away: " + f.getMessage();
    }

    private void draw(Display display, Size size) {
        long now = System.currentTimeMillis();
        if (now > messageUntil) {
            message = "";
        }
        List<AttributedString> lines = TopScreen.render(new TopScreen.Frame(status, new ArrayList<>(events), sort,
                message, now, size.getColumns(), size.getRows()));
        display.update(lines, size.cursorPos(Math.max(0, lines.size() - 1), 0));
    }

    private void onKey(int key) throws AdminClient.Failure {
        switch (key) {
            case 'q', 'Q', 3 /* Ctrl-C without ISIG */, 4 /* Ctrl-D */ -> quit = true;
            case '<', ',' -> sort = sort.next(-1);
            case '>', '.' -> sort = sort.next(1);
            case 's', 'S' -> sort = sort.reversed();
            case 'r', 'R' -> command("POST", "/reload", r -> "reloading to generation "
                    + TopScreen.whole(TopScreen.num(r, "generation")) + ", one slot at a time");
            case '+', '=' -> scale(1);
            case '-', '_' -> scale(-1);
            default -> {
                // other keys (arrows and other escape sequences) do nothing
            }
        }
    }

    private void scale(int step) throws AdminClient.Failure {
        long desired = (long) TopScreen.num(status, "workers_desired") + step;
        if (desired < 1) {
            say("at least one worker: use forkline stop to stop");
            return;
        }
        command("POST", "/workers?count=" + desired, r -> "scaling to " + TopScreen.whole(TopScreen.num(r, "workers"))
                + " workers");
    }

    /** Runs a command; its answer or its refusal becomes the message line for a few seconds. */
    private void command(String method, String path, java.util.function.Function<JsonObject, String> said)
            throws AdminClient.Failure {
        try {
            say(said.apply(json(client.call(method, path, Duration.ofSeconds(10)))));
        } catch (AdminClient.Refused r) {
            say("refused: " + r.getMessage());
        }
    }

    private void say(String text) {
        message = text;
        messageUntil = System.currentTimeMillis() + 5_000;
    }

    /** Leaves the terminal as it was: main screen, cursor shown, cooked mode. Idempotent. */
    private synchronized void restore() {
        if (restored || terminal == null) {
            return;
        }
        restored = true;
        try {
            terminal.puts(InfoCmp.Capability.cursor_visible);
            terminal.puts(InfoCmp.Capability.keypad_local);
            terminal.puts(InfoCmp.Capability.exit_ca_mode);
            terminal.flush();
            if (savedAttributes != null) {
                terminal.setAttributes(savedAttributes);
            }
            terminal.close();
        } catch (IOException | RuntimeException e) {
            // nothing more to do for a terminal that is gone
        }
    }
}
