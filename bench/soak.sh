#!/usr/bin/env bash
# Soak: SOAK_DURATION (default 10 minutes) of mixed load on a local Forkline (greet, pipelined
# requests and HTTP keep-alive at once) with one kill -9 of a random worker per minute. Every 10 s
# it prints the errors so far, the restarts, and each worker's RSS; at the end, whether RSS stayed
# flat. Not part of CI (it takes minutes); see docs/RELIABILITY.md.
#
#   bench/soak.sh                      # 10 minutes
#   SOAK_DURATION=120 bench/soak.sh    # 2 minutes
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${SOAK_DURATION:-600}
KILL_EVERY=${SOAK_KILL_EVERY:-60}
PORT=${SOAK_PORT:-13500} HTTP=${SOAK_HTTP_PORT:-18500} ADMIN=${SOAK_ADMIN_PORT:-19500}
OUT=$(mktemp -d /tmp/forkline-soak.XXXXXX)
JAVA=${JAVA:-java}
FL_JAR="$ROOT/supervisor/target/forkline.jar"
BENCH_JAR="$ROOT/bench/target/forkline-bench.jar"
[ -f "$FL_JAR" ] && [ -f "$BENCH_JAR" ] || ./mvnw -q -B -ntp -DskipTests -pl supervisor,bench -am install
command -v wrk >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

FORKLINE_WORKERS=2 FORKLINE_HOST=127.0.0.1 FORKLINE_PORT=$PORT FORKLINE_HTTP_PORT=$HTTP \
FORKLINE_ADMIN_PORT=$ADMIN FORKLINE_MIN_UPTIME=1s "$JAVA" -XX:+UseSerialGC -Xmx64m -jar "$FL_JAR" 2>"$OUT/forkline.log" &
SUP=$!
PIDS+=($SUP)
for _ in $(seq 1 300); do grep -q "all 2 workers ready" "$OUT/forkline.log" && break; sleep 0.1; done

# The load: each generator bounded by the soak's duration.
"$JAVA" -jar "$BENCH_JAR" greet --port $PORT --connections 32 --threads 1 --duration "${DURATION}s" --warmup 0s \
    >"$OUT/greet.out" 2>"$OUT/greet.err" &
PIDS+=($!)
"$JAVA" -jar "$BENCH_JAR" req --port $PORT --connections 64 --depth 8 --threads 1 --duration "${DURATION}s" --warmup 0s \
    >"$OUT/req.out" 2>"$OUT/req.err" &
PIDS+=($!)
wrk -t1 -c32 -d"${DURATION}s" "http://127.0.0.1:$HTTP/" >"$OUT/wrk.out" 2>&1 &
PIDS+=($!)

errors() { tail -n 1 "$1" 2>/dev/null | grep -oE 'errors [0-9]+' | grep -oE '[0-9]+' || echo 0; }
status() { # GET /status from the admin API with bash alone (no curl on a minimal Debian)
    exec 3<>"/dev/tcp/127.0.0.1/$ADMIN" && printf 'GET /status HTTP/1.0\r\nHost: soak\r\n\r\n' >&3 && cat <&3
    exec 3>&-
}
restarts() { status | grep -oE '"restarts":\{[^}]*\}' | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}'; }
printf '%6s  %-8s  %-8s  %-9s  %s\n' "t" "greet" "req" "restarts" "worker RSS (pid:MB)"
start=$(date +%s)
next_kill=$((start + KILL_EVERY))
declare -A first_rss max_rss
while [ $(( $(date +%s) - start )) -lt "$DURATION" ]; do
    sleep 10
    now=$(date +%s)
    rss=""
    for w in $(pgrep -P $SUP); do
        kb=$(awk '/^VmRSS/ {print $2}' "/proc/$w/status" 2>/dev/null || echo 0)
        rss="$rss $w:$((kb / 1024))"
        # Flatness: compare each worker with itself once it has run a minute (boot and JIT done).
        age=$(( now - $(stat -c %Y "/proc/$w") ))
        if [ "$age" -ge 60 ]; then
            [ -z "${first_rss[$w]:-}" ] && first_rss[$w]=$kb
            [ "$kb" -gt "${max_rss[$w]:-0}" ] && max_rss[$w]=$kb
        fi
    done
    printf '%5ss  %-8s  %-8s  %-9s %s\n' "$((now - start))" "$(errors "$OUT/greet.err")" "$(errors "$OUT/req.err")" \
        "$(restarts)" "$rss"
    if [ "$now" -ge "$next_kill" ]; then
        victim=$(pgrep -P $SUP | shuf -n 1)
        echo "        kill -9 $victim"
        kill -9 "$victim"
        next_kill=$((next_kill + KILL_EVERY))
    fi
done
wait "${PIDS[1]}" "${PIDS[2]}" "${PIDS[3]}" 2>/dev/null || true

echo
echo "greet: $(grep -E '^(rate|errors)' "$OUT/greet.out" | tr -s ' ' | paste -sd ';')"
echo "req:   $(grep -E '^(rate|errors)' "$OUT/req.out" | tr -s ' ' | paste -sd ';')"
echo "http:  $(grep -E 'Requests/sec|Socket errors|Non-2xx' "$OUT/wrk.out" | tr -s ' ' | paste -sd ';')"
flat=yes
for w in "${!first_rss[@]}"; do
    growth=$(( (max_rss[$w] - first_rss[$w]) * 100 / first_rss[$w] ))
    echo "worker $w: RSS $((first_rss[$w] / 1024)) MB after its first minute, at most $((max_rss[$w] / 1024)) MB later (+$growth %)"
    [ "$growth" -le 20 ] || flat=no
done
echo "RSS flat (no worker grew more than 20 % after its first minute): $flat"
echo "logs: $OUT"
[ "$flat" = yes ]
