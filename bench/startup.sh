#!/usr/bin/env bash
# Worker start time (spawn -> ready, as the supervisor logs it) and idle memory (RSS and PSS from
# /proc/PID/smaps_rollup), median of RUNS starts of 2 workers each. Prints a Markdown table.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR="$ROOT/supervisor/target/forkline.jar"
RUNS=${RUNS:-5}
JAVA=${JAVA:-java}

measure() { # label, extra worker JVM options
    local label=$1 opts=$2 readies=() rss=() pss=()
    for i in $(seq 1 "$RUNS"); do
        local port=$((14000 + i)) log
        log=$(mktemp)
        FORKLINE_WORKERS=2 FORKLINE_HOST=127.0.0.1 FORKLINE_PORT=$port FORKLINE_HTTP_PORT=$((port + 100)) \
        FORKLINE_ADMIN_PORT=0 FORKLINE_WORKER_JVM_OPTS="$opts" \
            "$JAVA" -XX:+UseSerialGC -Xmx64m -jar "$JAR" 2>"$log" &
        local sup=$!
        for _ in $(seq 1 300); do grep -q "all 2 workers ready" "$log" && break; sleep 0.1; done
        sleep 2 # idle: let the workers settle after boot before reading their memory
        readies+=($(grep -oE 'ready in [0-9]+ ms' "$log" | grep -oE '[0-9]+'))
        for w in $(pgrep -P "$sup"); do
            rss+=($(awk '/^Rss:/ {print $2}' "/proc/$w/smaps_rollup"))
            pss+=($(awk '/^Pss:/ {print $2}' "/proc/$w/smaps_rollup"))
        done
        kill "$sup"; wait "$sup" 2>/dev/null || true
        rm -f "$log"
    done
    printf '| %s | %s ms | %s MB | %s MB |\n' "$label" "$(median "${readies[@]}")" \
        "$(median_mb "${rss[@]}")" "$(median_mb "${pss[@]}")"
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
median_mb() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1024}'; }

echo "Median of $RUNS starts of 2 workers (so two JVMs boot at once on 2 cores), idle 2 s after ready."
echo
echo "| worker JVM | spawn → ready | RSS, idle | PSS, idle |"
echo "|---|---:|---:|---:|"
ARCHIVE="$ROOT/supervisor/target/forkline-worker.jsa"
if [ -f "$ARCHIVE" ]; then
    mv "$ARCHIVE" "$ARCHIVE.off"; trap 'mv "$ARCHIVE.off" "$ARCHIVE" 2>/dev/null || true' EXIT
    measure "default flags, no AppCDS archive" ""
    mv "$ARCHIVE.off" "$ARCHIVE"; trap - EXIT
    measure "default flags + AppCDS archive (as shipped)" ""
else
    measure "default flags (no AppCDS archive built)" ""
fi
