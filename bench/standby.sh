#!/usr/bin/env bash
# Recovery from a SIGKILL of a serving worker, without and with a warm standby (FORKLINE_STANDBY=1):
# the time from kill(2) to the port having its N listening sockets again, as the kernel reports them
# (/proc/net/tcp and tcp6, read in a loop by dev.forkline.bench.Recovery). ROUNDS rounds alternate
# the two configurations (A B A B ...), each a fresh Forkline with WORKERS workers and KILLS kills,
# one at a time once the previous replacement is ready (and the new standby booted). Prints every
# kill, then a Markdown table: median and p90 of each configuration, and their ratio.
#
#   bench/standby.sh                    # 2 rounds x 5 kills each = 10 kills per configuration
#   ROUNDS=4 KILLS=5 bench/standby.sh   # 20 each
#   MIN_UPTIME=5s bench/standby.sh      # with the default crash-loop rule (kills ~2 s apart count as a loop)
#   NICE=-10 bench/standby.sh           # Forkline and the probe at nice -10 (root): on a machine
#                                       # shared with other work, what they measure on a quiet one
#
# As root it runs in a fresh network namespace of its own (a Docker engine on the host slows the
# host's loopback); NETNS=host keeps the current one. Raw results: bench/results/standby-<time>/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR="$ROOT/supervisor/target/forkline.jar"
BENCH="$ROOT/bench/target/forkline-bench.jar"
JAVA=${JAVA:-java}
WORKERS=${WORKERS:-2}
ROUNDS=${ROUNDS:-2}
KILLS=${KILLS:-5}
NICE=${NICE:-0}

if [ -z "${STANDBY_NETNS:-}" ]; then # once, outside the namespace (it has no route to Maven Central)
    [ -f "$JAR" ] && [ -f "$BENCH" ] || (cd "$ROOT" && ./mvnw -q -B -ntp -DskipTests -pl supervisor,bench -am package)
fi
if [ -z "${STANDBY_NETNS:-}" ] && [ "${NETNS:-}" != host ] && [ "$(id -u)" = 0 ]; then
    NS=forkline-standby-$$
    ip netns add "$NS"
    trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
    ip netns exec "$NS" ip link set lo up
    STANDBY_NETNS=$NS ip netns exec "$NS" "$0" "$@"
    exit $?
fi

OUT="$ROOT/bench/results/standby-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
SUP=
trap '[ -n "$SUP" ] && kill -9 "$SUP" 2>/dev/null; true' EXIT

run() { # label, FORKLINE_STANDBY, round
    local label=$1 standby=$2 round=$3 port=$((24000 + round * 10)) log="$OUT/$1-$3.log"
    # FORKLINE_MIN_UPTIME=0: the kills come ~2 s apart, under the default 5 s, so with it every kill
    # after the first would count as a crash loop and add its growing delay (100, 200, 400 ms ...)
    # to both configurations: that measures the crash-loop policy, not the recovery.
    FORKLINE_MIN_UPTIME=${MIN_UPTIME:-0} \
    FORKLINE_WORKERS=$WORKERS FORKLINE_STANDBY=$standby FORKLINE_HOST=127.0.0.1 FORKLINE_PORT=$port \
    FORKLINE_HTTP_PORT=$((port + 1)) FORKLINE_ADMIN_PORT=$((port + 2)) FORKLINE_LOG_FORMAT=json \
        nice -n "$NICE" "$JAVA" -XX:+UseSerialGC -Xmx64m -jar "$JAR" 2>"$log" &
    SUP=$!
    nice -n "$NICE" "$JAVA" -XX:+UseSerialGC -cp "$BENCH" dev.forkline.bench.Recovery --port "$port" --admin-port $((port + 2)) \
        --kills "$KILLS" --label "$label" | tee -a "$OUT/kills.jsonl" | grep '"kill"' >&2
    kill -TERM "$SUP"
    wait "$SUP" || true
    SUP=
}

{
    echo "machine: $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
    echo "network namespace: ${STANDBY_NETNS:-none (the host one)}; nice $NICE; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt" >&2
for round in $(seq 1 "$ROUNDS"); do
    run none 0 "$round"
    run standby 1 "$round"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2

# Median and p90 (nearest rank) of every kill of each configuration, and the ratio; the gap is the
# part of it when the kernel had already closed the killed worker's socket.
awk -v workers="$WORKERS" '
    function num(key,   r) { r = match($0, "\"" key "\":[0-9.]+"); return substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 3) + 0 }
    /"kill":/ { match($0, /"label":"[a-z]+"/); l = substr($0, RSTART + 9, RLENGTH - 10); n[l]++
                v[l, "millis", n[l]] = num("millis"); v[l, "gap_millis", n[l]] = num("gap_millis") }
    function q(l, m, p,   i, j, t, a, k) {
        for (i = 1; i <= n[l]; i++) a[i] = v[l, m, i];
        for (i = 2; i <= n[l]; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        k = int(p * n[l]); if (k < p * n[l]) k++; if (k < 1) k = 1; return a[k] }
    END {
        printf "| %d workers, SIGKILL of a serving worker | kills | kill → %d listeners again, median | p90 | of which one listener short, median |\n", workers, workers
        print "|---|---:|---:|---:|---:|"
        printf "| no standby (a new JVM boots) | %d | %.1f ms | %.1f ms | %.1f ms |\n", n["none"], q("none", "millis", 0.5), q("none", "millis", 0.9), q("none", "gap_millis", 0.5)
        printf "| `FORKLINE_STANDBY=1` (the standby binds) | %d | %.1f ms | %.1f ms | %.1f ms |\n", n["standby"], q("standby", "millis", 0.5), q("standby", "millis", 0.9), q("standby", "gap_millis", 0.5)
        printf "\nmedian ratio (no standby / standby): %.0f\n", q("none", "millis", 0.5) / q("standby", "millis", 0.5)
    }' "$OUT/kills.jsonl" | tee "$OUT/summary.md"
