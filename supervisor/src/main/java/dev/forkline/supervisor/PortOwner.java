package dev.forkline.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Who listens on a TCP port, read from /proc as ss(8) does: the inode (and owner uid) of each LISTEN
 * entry of /proc/net/tcp{,6}, then the process holding a socket fd with that inode. Used when a port
 * is taken at start, to tell "another Forkline is running" from "another server", and by
 * {@link Takeover} to decide whether a port's reuse-port group may be joined.
 */
final class PortOwner {
    private static final String WORKER_MAIN = "dev.forkline.worker.WorkerMain";

    private PortOwner() {
    }

    /**
     * The pid of the Forkline supervisor whose process (a worker, or the supervisor itself for the
     * admin port) listens on {@code port}, if it is one we can see.
     */
    static Optional<Long> forklineSupervisor(int port) {
        for (long pid : listenerPids(port)) {
            Optional<Long> supervisor = supervisorOf(pid);
            if (supervisor.isPresent()) {
                return supervisor;
            }
        }
        return Optional.empty();
    }

    /**
     * The Forkline supervisor that {@code pid} is, or whose worker it is: a worker runs
     * {@value #WORKER_MAIN} and its parent is its supervisor; a supervisor is a process with a
     * worker among its children. (Not "forkline" in a command line: a test runner's or an editor's
     * class path can contain that.)
     */
    static Optional<Long> supervisorOf(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        if (cmdline(proc).contains(WORKER_MAIN)) {
            return parentPid(proc).filter(PortOwner::isSupervisor);
        }
        return isSupervisor(pid) ? Optional.of(pid) : Optional.empty();
    }

    private static boolean isSupervisor(long pid) {
        return ProcessHandle.of(pid).map(h -> h.children()
                .anyMatch(c -> cmdline(Path.of("/proc", Long.toString(c.pid()))).contains(WORKER_MAIN)))
                .orElse(false);
    }

    /** The effective user id of a process (/proc/PID/status {@code Uid:} real, effective, saved, fs). */
    static OptionalLong uid(long pid) {
        return uid(Path.of("/proc", Long.toString(pid)));
    }

    /** This process's effective user id. */
    static long ownUid() {
        return uid(Path.of("/proc/self")).orElseThrow(() -> new IllegalStateException("no /proc/self/status"));
    }

    private static OptionalLong uid(Path proc) {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("Uid:")) {
                    return OptionalLong.of(Long.parseLong(line.substring(4).trim().split("\\s+")[1]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return OptionalLong.empty();
    }

    /** The pids (that we can see) of the processes with a listening socket on {@code port}. */
    static Set<Long> listenerPids(int port) {
        Set<String> inodes = listeningInodes(port);
        Set<Long> pids = new HashSet<>();
        if (inodes.isEmpty()) {
            return pids;
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit) && holdsSocket(proc, inodes)) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc unreadable: we cannot tell
        }
        return pids;
    }

    /** A process's command line, shortened for a log line. */
    static String command(long pid) {
        String cmd = cmdline(Path.of("/proc", Long.toString(pid))).strip();
        return cmd.length() <= 120 ? cmd : cmd.substring(0, 120) + "...";
    }

    private static Set<String> listeningInodes(int port) {
        return listeningSockets(port).keySet();
    }

    /**
     * The listening sockets on {@code port}, inode to the uid that owns the socket: /proc/net/tcp
     * shows every user's sockets with their uid, though only our own processes' fds are readable.
     */
    private static Map<String, Long> listeningSockets(int port) {
        Map<String, Long> sockets = new HashMap<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> rows = Files.readAllLines(Path.of(table));
                for (String row : rows.subList(1, rows.size())) {
                    String[] f = row.trim().split("\\s+");
                    String local = f[1];
                    if (Integer.parseInt(local.substring(local.indexOf(':') + 1), 16) == port && f[3].equals("0A")) {
                        sockets.put(f[9], Long.parseLong(f[7])); // 0A = TCP_LISTEN; f[7] = uid, f[9] = inode
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table
            }
        }
        return sockets;
    }

    /**
     * One listening socket on a port: the uid that owns it, and the process that holds it and the
     * Forkline supervisor that process is or belongs to, when /proc lets us see them.
     */
    record Listener(long uid, OptionalLong pid, Optional<Long> supervisor, String command) {
    }

    /** Every listening socket on {@code port}, with its holder when we can see it. */
    static List<Listener> listeners(int port) {
        Map<String, Long> sockets = listeningSockets(port);
        Map<String, Long> holders = new HashMap<>();
        if (!sockets.isEmpty()) {
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path proc : (Iterable<Path>) procs::iterator) {
                    String name = proc.getFileName().toString();
                    if (name.chars().allMatch(Character::isDigit)) {
                        heldSockets(proc, sockets.keySet()).forEach(inode -> holders.putIfAbsent(inode, Long.parseLong(name)));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // /proc unreadable: we cannot tell
            }
        }
        List<Listener> listeners = new ArrayList<>();
        sockets.forEach((inode, uid) -> {
            Long pid = holders.get(inode);
            listeners.add(pid == null ? new Listener(uid, OptionalLong.empty(), Optional.empty(), "")
                    : new Listener(uid, OptionalLong.of(pid), supervisorOf(pid), command(pid)));
        });
        return listeners;
    }

    private static boolean holdsSocket(Path proc, Set<String> inodes) {
        return !heldSockets(proc, inodes).isEmpty();
    }

    /** Which of {@code inodes} the process has an fd on. */
    private static Set<String> heldSockets(Path proc, Set<String> inodes) {
        Set<String> held = new HashSet<>();
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                        held.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // another user's process, or gone
        }
        return held;
    }

    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static Optional<Long> parentPid(Path proc) {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("PPid:")) {
                    return Optional.of(Long.parseLong(line.substring(5).trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return Optional.empty();
    }

    /**
     * A listener on one of {@code addresses}' ports ({@code host:port}) that is none of {@code ours}:
     * the line that halts the start, or empty.
     */
    static Optional<String> sharedPort(Set<String> addresses, Set<Long> ours) {
        Set<Integer> ports = new java.util.TreeSet<>();
        addresses.forEach(a -> ports.add(Integer.parseInt(a.substring(a.lastIndexOf(':') + 1))));
        for (int port : ports) {
            Set<Long> others = new java.util.TreeSet<>(listenerPids(port));
            others.removeAll(ours);
            if (!others.isEmpty()) {
                long other = others.iterator().next();
                String who = supervisorOf(other).map(pid -> "Forkline supervisor pid " + pid)
                        .orElse("pid " + other + " (" + command(other) + ")");
                return Optional.of("the application's port " + port + " is also listened on by " + who
                        + ", with SO_REUSEPORT: the kernel would split the connections between it and us; stop it"
                        + " or give the application another port; halting");
            }
        }
        return Optional.empty();
    }
}
