package dev.forkline.worker;

import io.vertx.core.internal.ContextInternal;
import java.time.Duration;

/**
 * The worker's line connections (an intrusive list: the drain and the stop walk it) and
 * FORKLINE_IDLE_TIMEOUT for them without a timer per connection: a coarse clock ticks
 * every tenth of the timeout, each connection notes the tick of its last input, and each tick
 * closes the connections that have been quiet for the whole timeout (so a connection is closed
 * between 1.0 and 1.1 times the timeout after its last input).
 *
 * <p>Why not Vert.x's idle timeout: it adds Netty's IdleStateHandler to every connection, which
 * schedules a task on accept, cancels it on close and adds a listener to every write; with short
 * connections that was a measurable share of the worker's CPU. Event-loop confined, like the
 * connections it holds (an intrusive list: no allocation per connection).
 */
final class IdleSweeper {
    private static final int TICKS_PER_TIMEOUT = 10;

    private final long idleTicks;
    private long tick;
    private LineConnection head;
    private int size;

    private final long period;

    IdleSweeper(Duration idleTimeout) {
        this.period = Math.max(10, idleTimeout.toMillis() / TICKS_PER_TIMEOUT);
        this.idleTicks = Math.max(1, (idleTimeout.toMillis() + period - 1) / period);
    }

    /** Starts the clock on the event loop of {@code context}. */
    void start(ContextInternal context) {
        context.setPeriodic(period, t -> sweep());
    }

    /** The current tick: what a connection records as its last activity. */
    long now() {
        return tick;
    }

    void add(LineConnection c) {
        size++;
        c.next = head;
        c.prev = null;
        if (head != null) {
            head.prev = c;
        }
        head = c;
    }

    void remove(LineConnection c) {
        if (c.prev == null && head != c) {
            return; // not in the list (removed already)
        }
        size--;
        if (c.prev != null) {
            c.prev.next = c.next;
        } else if (head == c) {
            head = c.next;
        }
        if (c.next != null) {
            c.next.prev = c.prev;
        }
        c.prev = null;
        c.next = null;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Runs {@code action} on every connection; the action may close (remove) the one it is given. */
    void forEach(java.util.function.Consumer<LineConnection> action) {
        LineConnection c = head;
        while (c != null) {
            LineConnection next = c.next;
            action.accept(c);
            c = next;
        }
    }

    private void sweep() {
        tick++;
        forEach(c -> {
            if (tick - c.lastActiveTick > idleTicks) {
                c.close();
            }
        });
    }
}
