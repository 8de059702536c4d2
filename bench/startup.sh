#!/usr/bin/env bash
# Worker start time (spawn -> ready, as the supervisor logs it) and idle memory (RSS and PSS from
# /proc/PID/smaps_rollup), median of RUNS starts of 2 workers each. Prints a Markdown table.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR="$ROOT/supervisor/target/forkline.jar"
RUNS=${RUNS:-5}
JAVA=${JAVA:-java}

measure() { # label, extra worker JVM options [java [jar]]
    local label=$1 opts=$2 java=${3:-$JAVA} jar=${4:-$JAR} readies=() rss=() pss=()
    for i in $(seq 1 "$RUNS"); do
        local port=$((14000 + i)) log
        log=$(mktemp)
        FORKLINE_WORKERS=2 FORKLINE_HOST=127.0.0.1 FORKLINE_PORT=$port FORKLINE_HTTP_PORT=$((port + 100)) \
        FORKLINE_ADMIN_PORT=0 FORKLINE_WORKER_JVM_OPTS="$opts" \
            "$java" -XX:+UseSerialGC -Xmx64m -jar "$jar" 2>"$log" &
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

# JDK 25's AOT cache (JEP 483, 514: classes loaded and linked, and method profiles, from a training
# run) where a JDK 25 is installed: the same training run as the build's AppCDS archive, made with
# -XX:AOTCacheOutput; the workers get -XX:AOTCache. A copy of the jar without the JDK 17 archive
# next to it, so that only the AOT cache is used.
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
if [ -x "$JAVA25" ]; then
    tmp=$(mktemp -d)
    cp "$JAR" "$tmp/forkline.jar"
    FORKLINE_LOG_LEVEL=warn "$JAVA25" -XX:AOTCacheOutput="$tmp/worker.aot" -Dforkline.cds.training=true -XX:+UseSerialGC \
        -Xmx128m -XX:-UsePerfData -Xlog:aot=error,cds=error -cp "$tmp/forkline.jar" dev.forkline.worker.WorkerMain \
        > /dev/null 2>&1 < /dev/null || true
    measure "JDK 25 ($("$JAVA25" -version 2>&1 | head -n 1 | cut -d'"' -f2)), no archive" "" "$JAVA25" "$tmp/forkline.jar"
    if [ -f "$tmp/worker.aot" ]; then
        measure "JDK 25 + AOT cache (-XX:AOTCache)" "-XX:AOTCache=$tmp/worker.aot" "$JAVA25" "$tmp/forkline.jar"
    else
        echo "| JDK 25 + AOT cache | the training run made no cache | | |"
    fi
    rm -rf "$tmp"
fi
