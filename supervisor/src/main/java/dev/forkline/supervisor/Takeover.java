package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import dev.forkline.os.ExitCodes;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code forkline takeover [PID]}: a new supervisor (a new jar, new settings) replaces a running one
 * without closing its ports, nginx's binary upgrade (USR2, then QUIT to the old master) in one
 * command. A second supervisor normally refuses ports that are taken, because its workers' reuse-port
 * listeners would silently share them. This one instead <em>joins</em> the running Forkline's
 * reuse-port group: its workers bind the same ports with SO_REUSEPORT, and once every one of them is
 * ready, it tells the old supervisor to stop, which drains its workers (connections queued on their
 * listeners move to ours with {@code net.ipv4.tcp_migrate_req=1}) and exits 0.
 *
 * <p>Only a Forkline of the same user is joined: every listener on the ports checked before start
 * (the built-in server's, the admin API's) must be a Forkline worker or supervisor, all of one
 * supervisor, owned by our uid (the kernel shares a reuse-port group only within one user anyway);
 * anything else is refused with one line and exit code 2, before anything starts. An application's
 * ports are known only once our workers are ready: the same rule is applied to them then
 * ({@link #check}). Nothing listening is not an error: the new supervisor starts as {@code run} would.
 *
 * <p>The admin port: the old supervisor's API holds it without SO_REUSEPORT, so we start without
 * ours, ask the old one to stop with {@code POST /stop?successor=<our pid>} (it closes its admin
 * listener before it answers) and bind the port, retrying every
 * {@value #ADMIN_RETRY_MILLIS} ms. If that request fails (another token, the API off on its side),
 * it gets SIGTERM, its graceful stop, and the port is ours once it has exited.
 */
final class Takeover implements PortGroup {
    private static final Log LOG = Log.get(Takeover.class);
    /** How often the admin port is tried while the old supervisor releases it. */
    static final long ADMIN_RETRY_MILLIS = 25;
    /** After the old supervisor exited, how long its admin port may still take to become free. */
    private static final Duration ADMIN_GRACE = Duration.ofSeconds(5);

    /** A port Forkline listens on, and the setting that names it. */
    record Port(String host, int port, String setting) {
        String describe() {
            return AdminConfig.hostPort(host, port) + " (" + setting + ")";
        }
    }

    /** A takeover that must not happen: one line, exit code 2. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Binds the admin API once: null when it listens, else why not. */
    interface AdminListener {
        String listen(String note);
    }

    private final long ownUid;
    /** Talks to the old supervisor's admin API when it holds ours; null when it does not. */
    private final AdminClient oldAdmin;
    private final String adminAddress;
    private volatile OptionalLong predecessor;
    /**
     * The old supervisor's process, taken when it was found: a handle knows the process's start
     * time, so if that pid is reused meanwhile, SIGTERM never reaches the new process.
     */
    private volatile ProcessHandle process;
    private volatile AdminListener admin;

    private Takeover(long ownUid, OptionalLong predecessor, AdminClient oldAdmin, String adminAddress) {
        this.ownUid = ownUid;
        this.predecessor = predecessor;
        this.process = predecessor.isPresent() ? ProcessHandle.of(predecessor.getAsLong()).orElse(null) : null;
        this.oldAdmin = oldAdmin;
        this.adminAddress = adminAddress;
    }

    /**
     * Decides whom to take over from the ports checked before start that are taken, each with the
     * sockets listening on it ({@link PortOwner#listeners}), and the pid named on the command line.
     *
     * @throws Refused when a port is held by anything but one Forkline supervisor of our user
     */
    static Takeover plan(SupervisorConfig config, Map<Port, List<PortOwner.Listener>> taken, OptionalLong named)
            throws Refused {
        long uid = PortOwner.ownUid();
        Optional<PortOwner.Listener> namedProcess = Optional.empty();
        if (named.isPresent() && ProcessHandle.of(named.getAsLong()).isPresent()) {
            long pid = named.getAsLong();
            namedProcess = Optional.of(new PortOwner.Listener(PortOwner.uid(pid).orElse(-1), OptionalLong.of(pid),
                    PortOwner.supervisorOf(pid), PortOwner.command(pid)));
        }
        OptionalLong predecessor = decide(taken, uid, named, namedProcess);
        boolean holdsAdmin = taken.keySet().stream().anyMatch(p -> p.setting().equals("FORKLINE_ADMIN_PORT"));
        List<String> ports = taken.keySet().stream().map(Port::describe).toList();
        if (predecessor.isPresent()) {
            long pid = predecessor.getAsLong();
            LOG.info("takeover_found").with("predecessor", pid).with("ports", ports)
                    .log("taking over Forkline supervisor pid " + pid + (ports.isEmpty() ? "" : ": joining it on "
                            + String.join(", ", ports)) + "; it is told to stop once our workers are ready");
        } else if (config.app().isPresent()) {
            LOG.info("takeover_pending").log("forkline takeover: no Forkline listens on the ports checked before start;"
                    + " the Forkline listening on the application's ports, if any, is taken over once our workers are ready");
        } else {
            LOG.warn("takeover_nothing").log("forkline takeover: no Forkline listens on this configuration's ports,"
                    + " so there is nothing to take over: starting as forkline run does");
        }
        AdminConfig a = config.admin();
        return new Takeover(uid, predecessor, holdsAdmin ? new AdminClient(a, System.out, System.err) : null,
                AdminConfig.hostPort(a.host(), a.port()));
    }

    /**
     * The rule, without /proc: every listener on every taken port must belong to one Forkline
     * supervisor of user {@code ownUid}; {@code named} (if any) must be that supervisor, or, when no
     * port is taken, a Forkline supervisor of that user itself ({@code namedProcess}). Returns the
     * supervisor to take over, or empty when there is none.
     */
    static OptionalLong decide(Map<Port, List<PortOwner.Listener>> taken, long ownUid, OptionalLong named,
                               Optional<PortOwner.Listener> namedProcess) throws Refused {
        String refused = "forkline takeover" + (named.isPresent() ? " " + named.getAsLong() : "") + " refused: ";
        Map<Long, String> supervisors = new TreeMap<>();
        for (Map.Entry<Port, List<PortOwner.Listener>> e : taken.entrySet()) {
            String port = e.getKey().describe();
            if (e.getValue().isEmpty()) {
                throw new Refused(refused + port + " is taken, but no socket listens on it (/proc/net/tcp):"
                        + " there is no reuse-port group to join");
            }
            for (PortOwner.Listener l : e.getValue()) {
                String who = l.pid().isPresent() ? "pid " + l.pid().getAsLong() : "a process";
                if (l.uid() != ownUid) {
                    throw new Refused(refused + port + " is held by " + who + " of uid " + l.uid() + ", and this"
                            + " supervisor runs as uid " + ownUid + ": the kernel shares a port (SO_REUSEPORT)"
                            + " only between one user's sockets; run the takeover as uid " + l.uid());
                }
                if (l.pid().isEmpty()) {
                    throw new Refused(refused + port + " is held by a process of uid " + ownUid + " that /proc"
                            + " does not show (another PID namespace?): only a Forkline this process can see is joined");
                }
                if (l.supervisor().isEmpty()) {
                    throw new Refused(refused + port + " is held by " + who + " (" + l.command() + "), which is not"
                            + " a Forkline supervisor or worker: takeover joins only a running Forkline's ports");
                }
                supervisors.putIfAbsent(l.supervisor().get(), port);
            }
        }
        if (supervisors.size() > 1) {
            List<String> each = new ArrayList<>();
            supervisors.forEach((pid, port) -> each.add("Forkline supervisor pid " + pid + " holds " + port));
            throw new Refused(refused + String.join(", ", each) + ": take over one Forkline at a time, on its own ports");
        }
        OptionalLong found = supervisors.isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(supervisors.keySet().iterator().next());
        if (named.isEmpty()) {
            return found;
        }
        long pid = named.getAsLong();
        if (found.isPresent()) {
            if (found.getAsLong() != pid) {
                throw new Refused(refused + supervisors.get(found.getAsLong()) + " is held by Forkline supervisor pid "
                        + found.getAsLong() + ", not by pid " + pid);
            }
            return found;
        }
        PortOwner.Listener p = namedProcess.orElseThrow(() -> new Refused(refused + "there is no process " + pid));
        if (!p.supervisor().equals(Optional.of(pid))) {
            throw new Refused(refused + "pid " + pid + " (" + p.command() + ") is not a Forkline supervisor"
                    + " (none of its children is a Forkline worker)");
        }
        if (p.uid() != ownUid) {
            throw new Refused(refused + "Forkline supervisor pid " + pid + " runs as uid " + p.uid() + ", and this"
                    + " supervisor as uid " + ownUid + ": the kernel shares a port (SO_REUSEPORT) only between one"
                    + " user's sockets; run the takeover as uid " + p.uid());
        }
        return named;
    }

    /** Whether the old supervisor holds our admin port: then ours is bound only when it has let go. */
    boolean holdsAdminPort() {
        return oldAdmin != null;
    }

    /** How to bind our admin API once the old supervisor releases the port; before the loop starts. */
    void adminListener(AdminListener listener) {
        this.admin = listener;
    }

    /** An application's ports, once our workers are ready: the same rule as before start. */
    @Override
    public Optional<Halt> check(Set<String> addresses, Set<Long> ours) {
        Map<Port, List<PortOwner.Listener>> others = new LinkedHashMap<>();
        for (String address : new TreeSet<>(addresses)) {
            int colon = address.lastIndexOf(':');
            int port = Integer.parseInt(address.substring(colon + 1));
            List<PortOwner.Listener> theirs = PortOwner.listeners(port).stream()
                    .filter(l -> l.pid().isEmpty() || !ours.contains(l.pid().getAsLong())).toList();
            if (!theirs.isEmpty()) {
                others.put(new Port(address.substring(0, colon), port, "FORKLINE_APP"), theirs);
            }
        }
        if (others.isEmpty()) {
            return Optional.empty();
        }
        try {
            OptionalLong found = decide(others, ownUid, predecessor, Optional.empty());
            if (predecessor.isEmpty()) {
                predecessor = found;
                process = ProcessHandle.of(found.getAsLong()).orElse(null);
                LOG.info("takeover_found").with("predecessor", found.getAsLong())
                        .with("ports", others.keySet().stream().map(Port::describe).toList())
                        .log("taking over Forkline supervisor pid " + found.getAsLong() + ", which listens on the"
                                + " application's ports too");
            }
            return Optional.empty();
        } catch (Refused r) {
            LOG.error("takeover_refused").with("reason", r.getMessage()).log(r.getMessage());
            return Optional.of(new Halt("takeover refused", ExitCodes.CONFIG));
        }
    }

    /** Our workers are ready: the old supervisor is told to stop, on a thread of its own. */
    @Override
    public void started() {
        if (predecessor.isPresent()) {
            Thread t = new Thread(this::retire, "forkline-takeover");
            t.setDaemon(true);
            t.start();
        }
    }

    private void retire() {
        long old = predecessor.getAsLong();
        Optional<ProcessHandle> handle = Optional.ofNullable(process).filter(ProcessHandle::isAlive);
        String note = " (taken over from supervisor pid " + old + ")";
        // One try first: it fails while the old supervisor holds the port, and it loads what binding
        // needs, so that the try once the port is free is quick (measured: 180 ms the first time).
        // If it succeeds, the old one has let go already: it must not get our own admin API's stop.
        boolean adminBound = oldAdmin != null && admin.listen(note) == null;
        if (handle.isPresent() && !(oldAdmin != null && !adminBound && askToStop(old))) {
            handle.get().destroy(); // SIGTERM: its graceful stop
            LOG.info("takeover_retiring").with("predecessor", old).with("via", "SIGTERM")
                    .log("sent SIGTERM to supervisor pid " + old + ": its workers drain (connections queued on"
                            + " their listeners move to ours with net.ipv4.tcp_migrate_req=1), then it exits");
        }
        if (oldAdmin != null && !adminBound) {
            listenAdmin(old, handle, note);
        }
        handle.ifPresent(h -> h.onExit().join());
        LOG.info("takeover_completed").with("predecessor", old)
                .log("supervisor pid " + old + " has exited: the takeover is complete");
    }

    /** {@code POST /stop?successor=<our pid>} to the old supervisor; false when it did not take it. */
    private boolean askToStop(long old) {
        String why;
        try {
            // The old supervisor closes its admin port when it gets the request, and ours binds it
            // once the answer is here: a first request through the JDK's HTTP client loads its classes
            // (hundreds of ms on a busy machine), so that is done first, with a probe that changes nothing.
            oldAdmin.send("GET", "/livez", Duration.ofSeconds(10));
            HttpResponse<String> r = oldAdmin.send("POST", "/stop?successor=" + ProcessHandle.current().pid(),
                    Duration.ofSeconds(10));
            if (r.statusCode() == 200 || r.statusCode() == 409) { // 409: it is stopping already
                LOG.info("takeover_retiring").with("predecessor", old).with("via", "admin API")
                        .log("supervisor pid " + old + (r.statusCode() == 200 ? " stops" : " was stopping already")
                                + ": its workers drain (connections queued on their listeners move to ours with"
                                + " net.ipv4.tcp_migrate_req=1), and it hands its admin port over");
                return true;
            }
            why = "HTTP " + r.statusCode() + " " + r.body().strip();
        } catch (IOException e) {
            why = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        }
        LOG.warn("takeover_admin_refused").with("predecessor", old).with("reason", why)
                .log("supervisor pid " + old + "'s admin API at " + oldAdmin.base() + " did not take the stop request ("
                        + why + "): sending it SIGTERM instead; its admin port becomes ours when it has exited");
        return false;
    }

    /** Binds our admin API as soon as the old supervisor has released the port. */
    private void listenAdmin(long old, Optional<ProcessHandle> handle, String note) {
        long exitedAt = 0;
        String why;
        while ((why = admin.listen(note)) != null) {
            if (handle.isEmpty() || !handle.get().isAlive()) {
                long now = System.nanoTime();
                if (exitedAt == 0) {
                    exitedAt = now;
                } else if (now - exitedAt > ADMIN_GRACE.toNanos()) {
                    LOG.error("admin_unavailable").with("reason", why)
                            .log("cannot listen on " + adminAddress + " for the admin API although supervisor pid "
                                    + old + " has exited: " + why + "; serving without it");
                    return;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ADMIN_RETRY_MILLIS)); // a retry interval
        }
    }
}
