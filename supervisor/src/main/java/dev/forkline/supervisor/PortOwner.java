package dev.forkline.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Who listens on a TCP port, read from /proc as ss(8) does: the inode of each LISTEN entry of
 * /proc/net/tcp{,6}, then the process holding a socket fd with that inode. Used once, when a port is
 * taken at start, to tell "another Forkline is running" from "another server".
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
        Set<String> inodes = listeningInodes(port);
        if (inodes.isEmpty()) {
            return Optional.empty();
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || !holdsSocket(proc, inodes)) {
                    continue;
                }
                String cmdline = cmdline(proc);
                if (cmdline.contains(WORKER_MAIN)) {
                    return parentPid(proc);
                }
                if (cmdline.contains("forkline")) {
                    return Optional.of(Long.parseLong(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc unreadable: we cannot tell
        }
        return Optional.empty();
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
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> rows = Files.readAllLines(Path.of(table));
                for (String row : rows.subList(1, rows.size())) {
                    String[] f = row.trim().split("\\s+");
                    String local = f[1];
                    if (Integer.parseInt(local.substring(local.indexOf(':') + 1), 16) == port && f[3].equals("0A")) {
                        inodes.add(f[9]); // 0A = TCP_LISTEN
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table
            }
        }
        return inodes;
    }

    private static boolean holdsSocket(Path proc, Set<String> inodes) {
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // another user's process, or gone
        }
        return false;
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
                String who = forklineSupervisor(port).filter(pid -> pid != ProcessHandle.current().pid())
                        .map(pid -> "Forkline supervisor pid " + pid).orElse("pid " + other + " (" + command(other) + ")");
                return Optional.of("the application's port " + port + " is also listened on by " + who
                        + ", with SO_REUSEPORT: the kernel would split the connections between it and us; stop it"
                        + " or give the application another port; halting");
            }
        }
        return Optional.empty();
    }
}
