#!/usr/bin/env bash
# Side-by-side benchmark on this machine, 127.0.0.1 only: Forkline (2 worker processes) against
# nginx (stream and http, worker_processes 2), memcached -t 2, and one JVM running Vert.x with 2
# instances of the same verticle; and the cost of HTTP/2 cleartext (h2load, HTTP/2 against HTTP/1.1
# on a second Forkline with FORKLINE_HTTP2=true). Systems alternate (A B A B ...) so that drift hits
# all alike. Rewrites the generated part of docs/BENCHMARKS.md (between its "compare.sh" markers;
# the sections after them are kept) and docs/benchmarks.png; raw results under bench/results/.
#
#   bench/compare.sh                      # full run: ROUNDS=2 DURATION=10s WARMUP=3s (about 12 minutes)
#   ROUNDS=1 DURATION=3s WARMUP=1s bench/compare.sh     # a quick look
#   REPORT_ONLY=bench/results/<stamp> bench/compare.sh  # rewrite the document from a finished run
#
# Needs root only to install what is missing (nginx with its stream module, memcached, wrk, h2load) with
# apt-get. Ends every process it started, by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
log() { echo "compare: $*" >&2; }
install_tools() {
need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
command -v memcached >/dev/null 2>&1 || need+=(memcached)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need[@]}" >&2 || { apt-get update -q >&2 && apt-get install -y -q "${need[@]}" >&2; }
fi

}
# Outside the namespace: it has no route to the package mirror.
if [ -z "${COMPARE_NETNS:-}" ] && [ -z "${REPORT_ONLY:-}" ]; then
    install_tools
fi
# In a fresh network namespace of its own when root (a Docker engine on the host halves loopback
# rates in the host namespace); NETNS=host keeps the current one.
if [ -z "${COMPARE_NETNS:-}" ] && [ -z "${REPORT_ONLY:-}" ] && [ "${NETNS:-}" != host ] && [ "$(id -u)" = 0 ]; then
    NS=forkline-compare-$$
    ip netns add "$NS"
    trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
    ip netns exec "$NS" ip link set lo up
    COMPARE_NETNS=$NS ip netns exec "$NS" "$0" "$@"
    exit $?
fi
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
if [ -n "${REPORT_ONLY:-}" ]; then
    OUT=$(cd "$REPORT_ONLY" && pwd)
    STAMP=$(basename "$OUT")
else
    STAMP=$(date -u +%Y%m%dT%H%M%SZ)
    OUT="$ROOT/bench/results/$STAMP"
    mkdir -p "$OUT"
    : > "$OUT/results.tsv"
fi
RESULTS="$OUT/results.tsv"
JIT_WARMUP=${JIT_WARMUP:-8s}

# Ports: forkline, nginx, memcached, single JVM.
FL_PORT=13000 FL_HTTP=18000
NG_STREAM=13100 NG_HTTP=18100
MC_PORT=13200
SJ_PORT=13300 SJ_HTTP=18300
H2_PORT=13400 H2_HTTP=18400   # a second forkline, FORKLINE_HTTP2=true

log() { echo "compare: $*" >&2; }

measure_all() {
install_tools

# --- jars --------------------------------------------------------------------------------------
FL_JAR="$ROOT/supervisor/target/forkline.jar"
BENCH_JAR="$ROOT/bench/target/forkline-bench.jar"
if [ ! -f "$FL_JAR" ] || [ ! -f "$BENCH_JAR" ] \
        || [ -n "$(find protocol worker supervisor bench -name '*.java' -newer "$BENCH_JAR" | head -n 1)" ]; then
    log "building the jars"
    ./mvnw -q -B -ntp -DskipTests -pl supervisor,bench -am package >&2
fi
JAVA=${JAVA:-java}

# --- servers -----------------------------------------------------------------------------------
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$OUT/nginx/nginx.pid" ] && kill "$(cat "$OUT/nginx/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() { # port
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.2
    done
    log "nothing listens on 127.0.0.1:$1"; exit 1
}

log "starting forkline (2 workers)"
FORKLINE_WORKERS=2 FORKLINE_HOST=127.0.0.1 FORKLINE_PORT=$FL_PORT FORKLINE_HTTP_PORT=$FL_HTTP \
FORKLINE_ADMIN_PORT=0 FORKLINE_LOG_LEVEL=warn \
    "$JAVA" -XX:+UseSerialGC -Xmx64m -jar "$FL_JAR" 2>"$OUT/forkline.log" &
PIDS+=($!)

log "starting a second forkline with FORKLINE_HTTP2=true (2 workers)"
FORKLINE_WORKERS=2 FORKLINE_HOST=127.0.0.1 FORKLINE_PORT=$H2_PORT FORKLINE_HTTP_PORT=$H2_HTTP \
FORKLINE_ADMIN_PORT=0 FORKLINE_LOG_LEVEL=warn FORKLINE_HTTP2=true \
    "$JAVA" -XX:+UseSerialGC -Xmx64m -jar "$FL_JAR" 2>"$OUT/forkline-h2c.log" &
PIDS+=($!)

log "starting nginx (worker_processes 2)"
mkdir -p "$OUT/nginx/logs"
cat > "$OUT/nginx/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 10000; }
stream {
    # The same job as Forkline's greeting: the worker's PID, then close.
    server { listen 127.0.0.1:$NG_STREAM reuseport; return "\$pid\r\n"; }
}
http {
    access_log off;
    keepalive_requests 1000000;
    default_type text/plain;
    server { listen 127.0.0.1:$NG_HTTP reuseport; location / { return 200 "\$pid\n"; } }
}
EOF
nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" -g 'daemon off;' 2>>"$OUT/nginx/error.log" &
PIDS+=($!)

log "starting memcached -t 2"
memcached -t 2 -l 127.0.0.1 -p $MC_PORT -U 0 -c 10000 -u nobody 2>"$OUT/memcached.log" &
PIDS+=($!)

log "starting one JVM with 2 Vert.x verticle instances"
"$JAVA" -XX:+UseSerialGC -Xms16m -Xmx256m -XX:-UsePerfData -cp "$BENCH_JAR" dev.forkline.bench.SingleJvmServer \
    $SJ_PORT $SJ_HTTP 2 2>"$OUT/single-jvm.log" &
PIDS+=($!)

for p in $FL_PORT $FL_HTTP $H2_HTTP $NG_STREAM $NG_HTTP $MC_PORT $SJ_PORT; do wait_port "$p"; done
log "all servers listen"

# --- runs --------------------------------------------------------------------------------------
bench() { # figure system args...
    local figure=$1 system=$2; shift 2
    local json
    json=$("$JAVA" -jar "$BENCH_JAR" "$@" --duration "$DURATION" --warmup "$WARMUP" --json 2>/dev/null)
    local rate errors
    rate=$(sed -E 's/.*"rate":([0-9.]+).*/\1/' <<<"$json")
    errors=$(sed -E 's/.*"errors":([0-9]+).*/\1/' <<<"$json")
    printf '%s\t%s\t%s\t%s\t%s\n' "$figure" "$system" "$rate" "$errors" "$json" >> "$RESULTS"
    log "$(printf '%-22s %-12s %12.0f /s  errors %s' "$figure" "$system" "$rate" "$errors")"
}

# The same greet load from a minimal C epoll client (bench/c/greet.c): a known-cheap client, to tell
# whether forkline-bench, not the server, is what limits a figure.
C_GREET="$OUT/greet-c"
gcc -O2 -o "$C_GREET" "$ROOT/bench/c/greet.c"
c_greet() { # figure system port
    local figure=$1 system=$2 port=$3 out rate errors secs
    secs=${DURATION%s}
    out=$("$C_GREET" 127.0.0.1 "$port" 64 "$secs")
    rate=$(awk '{print $2}' <<<"$out")
    errors=$(awk '{print $4}' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\n' "$figure" "$system" "$rate" "$errors" "bench/c/greet.c 64 connections" >> "$RESULTS"
    log "$(printf '%-22s %-12s %12.0f /s  errors %s' "$figure" "$system" "$rate" "$errors")"
}

wrk_run() { # figure system url
    local figure=$1 system=$2 url=$3
    local out rate
    out=$(wrk -t2 -c128 -d"$DURATION" --latency "$url" 2>&1)
    echo "$out" > "$OUT/wrk-$figure-$system-$RANDOM.txt"
    rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\n' "$figure" "$system" "$rate" "0" "wrk -t2 -c128 $url" >> "$RESULTS"
    log "$(printf '%-22s %-12s %12.0f /s' "$figure" "$system" "$rate")"
}

h2load_run() { # figure system url h2load-args...
    local figure=$1 system=$2 url=$3; shift 3
    local out rate errors
    out=$(h2load -t2 -c64 -D "${DURATION%s}" --warm-up-time="${WARMUP%s}" "$@" "$url" 2>&1) || true
    echo "$out" > "$OUT/h2load-$figure-$system-$RANDOM.txt"
    rate=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' <<<"$out")
    # requests: N total, N started, N done, N succeeded, F failed, E errored, T timeout; errored
    # and timeout are among the failed (h2load(1)), so failed alone is the count.
    errors=$(awk '/^requests:/ {print $10}' <<<"$out")
    if [ -z "$rate" ]; then
        log "h2load gave no rate for $figure on $url (output in $OUT): stopping, a missing run is no zero"
        exit 1
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$figure" "$system" "${rate:-0}" "${errors:-0}" "h2load -t2 -c64 $* $url" >> "$RESULTS"
    log "$(printf '%-22s %-12s %12.0f /s  errors %s' "$figure" "$system" "${rate:-0}" "${errors:-0}")"
}
# HTTP/2's cost: the same request over HTTP/1.1 and over h2c (prior knowledge), on the workers that
# have it on, at the same number of requests in flight (1 per connection; 10: HTTP/1.1 pipelined
# against 10 streams); and HTTP/1.1 there against the workers that have it off.
run_h2c() {
    h2load_run h1 forkline "http://127.0.0.1:$FL_HTTP/" --h1
    h2load_run h1-h2c forkline "http://127.0.0.1:$H2_HTTP/" --h1
    h2load_run h1-m10 forkline "http://127.0.0.1:$H2_HTTP/" --h1 -m10
    h2load_run h2c-m10 forkline "http://127.0.0.1:$H2_HTTP/" -m10
    h2load_run h2c-m1 forkline "http://127.0.0.1:$H2_HTTP/" -m1
}

run_forkline() {
    bench greet-64 forkline greet --port $FL_PORT --connections 64
    bench req-d1-256 forkline req --port $FL_PORT --connections 256 --depth 1
    bench req-d64-256 forkline req --port $FL_PORT --connections 256 --depth 64
    wrk_run http-keepalive forkline "http://127.0.0.1:$FL_HTTP/"
}
run_peers() {
    bench greet-64 nginx greet --port $NG_STREAM --connections 64
    bench req-d1-256 memcached req --port $MC_PORT --connections 256 --depth 1 --no-greeting
    bench req-d64-256 memcached req --port $MC_PORT --connections 256 --depth 64 --no-greeting
    wrk_run http-keepalive nginx "http://127.0.0.1:$NG_HTTP/"
    bench greet-64 single-jvm greet --port $SJ_PORT --connections 64
    bench req-d1-256 single-jvm req --port $SJ_PORT --connections 256 --depth 1
}
run_client_check() {
    # Is forkline-bench the bottleneck? Both clients against the fastest peer, then the greet
    # figure again with the C client.
    bench client-check forkline greet --port $NG_STREAM --connections 64
    c_greet client-check c-client $NG_STREAM
    c_greet greet-64-c forkline $FL_PORT
    c_greet greet-64-c nginx $NG_STREAM
}
# JVMs compile their hot paths while they run: a few seconds of warm-up measure the JIT, not the
# server (we saw greet rise 30 % between 3 s and 20 s of load). Every system gets the same warm-up
# load first, the native ones too.
cut -d' ' -f1-3 /proc/loadavg > "$OUT/load-before"
log "warm-up: $JIT_WARMUP of each load on every system"
for spec in "greet --port $FL_PORT" "req --port $FL_PORT --connections 256" "greet --port $NG_STREAM" \
        "req --port $MC_PORT --connections 256 --no-greeting" "greet --port $SJ_PORT" "req --port $SJ_PORT --connections 256"; do
    # shellcheck disable=SC2086
    "$JAVA" -jar "$BENCH_JAR" $spec --duration "$JIT_WARMUP" --warmup 0s >/dev/null 2>&1
done
for url in "http://127.0.0.1:$FL_HTTP/" "http://127.0.0.1:$NG_HTTP/" "http://127.0.0.1:$SJ_HTTP/" "http://127.0.0.1:$H2_HTTP/"; do
    wrk -t2 -c128 -d"$JIT_WARMUP" "$url" >/dev/null 2>&1
done
h2load -t2 -c64 -m10 -D "${JIT_WARMUP%s}" "http://127.0.0.1:$H2_HTTP/" >/dev/null 2>&1 || true

cut -d' ' -f1-3 /proc/loadavg > "$OUT/load"
for round in $(seq 1 "$ROUNDS"); do   # A B A B ...
    log "round $round of $ROUNDS"
    run_forkline
    run_peers
    run_client_check
    run_h2c
done

# --- startup and memory ------------------------------------------------------------------------
log "measuring worker start time and memory"
"$ROOT/bench/startup.sh" > "$OUT/startup.md"
cleanup
printf 'ROUNDS=%s DURATION=%s WARMUP=%s JIT_WARMUP=%s\n' "$ROUNDS" "$DURATION" "$WARMUP" "$JIT_WARMUP" > "$OUT/settings"
}

if [ -z "${REPORT_ONLY:-}" ]; then
    measure_all
else
    # shellcheck disable=SC1091
    . "$OUT/settings" 2>/dev/null || true
fi
JAVA=${JAVA:-java}
BENCH_JAR="$ROOT/bench/target/forkline-bench.jar"

# --- report ------------------------------------------------------------------------------------
machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), Linux $(uname -r), $("$JAVA" -version 2>&1 | head -n 1)"
"$JAVA" -cp "$BENCH_JAR" dev.forkline.bench.Report "$RESULTS" "$ROOT/docs/benchmarks.png" > "$OUT/table.md"
# The start-time targets against this run's own table (the shipped row, and the one without the archive).
row_ms() { grep -F "$1" "$OUT/startup.md" 2>/dev/null | head -n 1 | awk -F'|' '{gsub(/[^0-9]/, "", $3); print $3}'; }
row_rss() { grep -F "$1" "$OUT/startup.md" 2>/dev/null | head -n 1 | awk -F'|' '{gsub(/[^0-9.]/, "", $4); print $4}'; }
SHIPPED_MS=$(row_ms '(as shipped)'); SHIPPED_RSS=$(row_rss '(as shipped)'); NOCDS_MS=$(row_ms 'default flags, no AppCDS')
if [ -n "$SHIPPED_MS" ] && [ -n "$SHIPPED_RSS" ]; then
    STARTUP_VERDICT="in this run $SHIPPED_MS ms ($(awk -v v="$SHIPPED_MS" 'BEGIN {print (v <= 300 ? "met" : "missed")}')) and $SHIPPED_RSS MB ($(awk -v v="$SHIPPED_RSS" 'BEGIN {print (v <= 48 ? "met" : "missed")}'))"
    ARCHIVE_GAIN="in this run $NOCDS_MS ms without it, $SHIPPED_MS ms with it"
else
    STARTUP_VERDICT="see the table"; ARCHIVE_GAIN="see the table"
fi
DOC="$ROOT/docs/BENCHMARKS.md"
if [ -f "$DOC" ] && ! grep -qxF '<!-- end of bench/compare.sh output; the sections below are kept by it -->' "$DOC"; then
    log "$DOC has no end marker: its hand-written sections would be lost; put the marker back (git show HEAD:docs/BENCHMARKS.md)"
    exit 1
fi
BEGIN_MARK='<!-- generated by bench/compare.sh: edit the script, not this part -->'
END_MARK='<!-- end of bench/compare.sh output; the sections below are kept by it -->'
{
cat <<EOF
# Benchmarks

$BEGIN_MARK

Forkline against the servers it is modelled on, on one machine, in one run of
[bench/compare.sh](../bench/compare.sh) ($STAMP). Every figure is a ratio between systems measured
in the same run, alternating them (A B A B) so that the machine's drift hits all alike; absolute
rates on a shared 2-core VM mean little on their own.

**Machine**: $machine. Clients and servers share the same cores, all on 127.0.0.1, in a fresh
network namespace (a Docker engine on the host halves loopback rates in the host namespace).
Load average before the warm-up: $(cat "$OUT/load-before" 2>/dev/null || echo unknown); after it, when the measured rounds
began (the systems' own warm-up load): $(cat "$OUT/load" 2>/dev/null || echo unknown). The machine may be shared: the ratios
are what to read.

**Setup**

| system | how it runs |
|---|---|
| forkline | \`FORKLINE_WORKERS=2 java -jar forkline.jar\`: 2 worker JVMs with the default worker flags |
| nginx 1.22 | \`worker_processes 2\`; \`stream { server { listen ... reuseport; return "\$pid\r\n"; } }\` (greet-and-close) and \`http { ... return 200 "\$pid\n"; }\` |
| memcached 1.6 | \`memcached -t 2\`: an unknown command line is answered with one \`ERROR\` line, a fair line request/response peer |
| single-jvm | one JVM, Vert.x with 2 event loops and 2 instances of Forkline's own verticle on one port (\`SingleJvmServer\`), same GC and flags |

**Load** ([bench](../bench/src/main/java/dev/forkline/bench/LoadGenerator.java): Netty, one epoll
event loop per client thread, 2 threads, one reused Bootstrap per loop, counts LF bytes and never
decodes; HdrHistogram latencies):
\`greet\` connects, reads the greeting line and closes, again (connections/s); \`req\` keeps
connections open with \`depth\` request lines (\`PING\`) in flight (lines/s). HTTP: \`wrk -t2 -c128\`
keep-alive. First every system gets the same $JIT_WARMUP of each load (so that the JVMs are measured
compiled, not compiling); then each run: $WARMUP warm-up, then $DURATION measured; $ROUNDS round(s)
per system.

## Results

$(cat "$OUT/table.md")

![ratios](benchmarks.png)

### Is the client the bottleneck?

The client-check row is not Forkline against a peer: it is forkline-bench against a minimal C epoll client
([bench/c/greet.c](../bench/c/greet.c): one thread, level-triggered epoll, no allocation per
connection), both greeting nginx, the fastest peer here, in the same rounds. A ratio near 1.0 means
forkline-bench drives a server as hard as a C client does, so the greet figures measure the
servers; below it, forkline-bench is what limits them, and the greet row measured with the C
client (\`greet-64-c\`) is the one to read. req and HTTP are not affected the same way: there the
client does little per request (one write per batch, LF counting) and the servers' CPU is the
limit.

### Where the misses come from

- **greet-and-close vs nginx stream**: the worker is kernel-bound here (async-profiler at steady
  state: \`close\` 19 %, \`send\` 12 %, \`epoll_ctl\` 6 %, \`epoll_pwait\` 6 %, \`accept4\` 5 % of its
  samples; on loopback a send or a close also pays for the peer's receive). What nginx does not
  pay: (1) our protocol keeps the connection open after the greeting, so the worker must wake up
  for the client's FIN, read EOF and close, where nginx's \`return\` closes first and never reads;
  (2) Netty's channel setup (\`getsockname\`, \`getsockopt\` twice each, 4 \`epoll_ctl\`). Already
  removed: the acceptor-thread handoff, 3 of 5 \`setsockopt\` calls, the per-connection idle timer
  and Vert.x's per-connection objects (\`NetSocketImpl\` and its message queues: a line connection is
  now one Netty handler, see docs/DESIGN.md). Against one JVM running the same verticle twice, the
  processes are at parity.
- **req depth 1 vs memcached**: one read, one write and one \`epoll_wait\` per request for both
  (run-to-run noise here is ±5 %); the worker now answers the line where it lies in Netty's read
  buffer (no copy into a heap buffer, no record parser) and writes a duplicate of a pre-encoded
  answer. At depth 64 the per-request costs are shared by the batch.
- **HTTP keep-alive vs nginx**: runs of this script have given 0.92-1.00. Both answer a tiny
  request per read; the facet's path is Vert.x's HTTP server on Netty's \`HttpServerCodec\` (a
  request object, headers map and response per request) behind Forkline's RFC 9112 guard and the
  byte counter, where nginx's \`return 200\` parses in place and writes from a prepared buffer. The
  goal is parity (1.0), stable over rounds: not shown.
- **Two workers ready (target 300 ms)**: the time is the JVMs' own boot (class loading, Vert.x,
  the first listen) with two of them on 2 cores at once, which the AppCDS archive shortens; a JDK 25
  AOT cache (last row of the start-time table) is the next step where JDK 25 is installed.
- **greet-and-close**: forkline-bench's own greet figure for nginx varies between rows of one run
  (the client-check row drove nginx faster than the greet-64 row in the same rounds), so the
  ratio measured with the C client (\`greet-64-c\`) is the one to read.

### Worker JVM flags, chosen by measurement

Measured with a steady-state A/B (2 workers, 15 s of warm-up, then greet, req depth 1 and HTTP
for 6 s each, twice per variant) on 2026-11-27:

| variant | effect | kept? |
|---|---|---|
| C2 (default) vs \`-XX:TieredStopAtLevel=1\` (C1 only) | C1 is fast from the first second, but req depth 1 is 30 % lower once C2 has compiled | C2 |
| Netty bounds and refcount checks off | +5-10 % on req and HTTP | no: those checks turn a buffer bug into an exception instead of memory corruption |
| Netty leak detection off | within noise | no: it is the only leak diagnostic |
| \`-Xms8m\`, \`MALLOC_ARENA_MAX=2\`, \`-Xss256k\` | idle RSS within 1 MB of the default | no |
| SerialGC, \`-Xms16m -Xmx128m\` | young pauses of 0.5 ms every ~150 ms at 55 k req/s per worker | yes |

## HTTP/2 cleartext

Vert.x serves HTTP/2 cleartext by default; Forkline turns it off unless \`FORKLINE_HTTP2=true\`. The
last three rows of the table are its cost, measured on a second Forkline (2 workers) with it on, by
h2load (\`-t2 -c64\`, the same warm-up and duration; HTTP/2 by prior knowledge): HTTP/2 against
HTTP/1.1 on those same workers with as many requests in flight per connection (1; and 10: ten
streams against ten pipelined HTTP/1.1 requests), and HTTP/1.1 on them against HTTP/1.1 on the
workers with it off (a ratio near 1: no measurable effect). The requests are the facet's \`GET /\`,
a few bytes of answer (the worker's PID), where HTTP/2's framing and HPACK buy nothing; what it buys
(many requests on one connection without head-of-line blocking, header compression) shows with
many requests per page over a real network.

## Worker start time and memory

$(cat "$OUT/startup.md")

Targets: ready ≤ 300 ms and RSS ≤ 48 MB for the shipped workers: $STARTUP_VERDICT. Where the time
goes (measured on an earlier machine, an Intel Xeon VM where two workers booting at once were
ready in ~420 ms and one alone in 283-340 ms): Vert.x 76-98 ms, listening 55-71 ms, the JVM and our
main ~140 ms, and two JVMs booting at once share the 2 cores; the archive shortens it ($ARCHIVE_GAIN).
Idle RSS stays near 60 MB: ~26 MB is class metadata
mapped from the CDS archives (its writable half is dirtied by the JVM, so it counts as the
process's own), ~15 MB libjvm, ~5 MB young generation, the code cache and thread stacks. Without
the archive the same metadata sits in metaspace: RSS is about the same, the start slower. PSS, which
splits shared pages between the workers, is the per-worker cost: ~41 MB.

## Reproduce

\`\`\`sh
bench/compare.sh                                   # about 12 minutes; root to install nginx, memcached, wrk, h2load
bench/standby.sh                                   # recovery after SIGKILL, without and with a standby; ~6 minutes
bench/c100k.sh                                     # 100 000 idle connections, with nginx and memcached (docs/SCALE.md); ~10 minutes
java -jar bench/target/forkline-bench.jar greet --port 3000 --connections 64
java -jar bench/target/forkline-bench.jar req --port 3000 --connections 256 --depth 64
\`\`\`

Raw results of this run: \`bench/results/$STAMP/\` (not committed).

$END_MARK
EOF
# The hand-written sections after the generated part (measurements of their own), kept as they are.
if [ -f "$DOC" ] && grep -qxF "$END_MARK" "$DOC"; then
    awk -v m="$END_MARK" 'found {print} $0 == m {found = 1}' "$DOC"
fi
} > "$DOC.new"
mv "$DOC.new" "$DOC"
log "wrote docs/BENCHMARKS.md (its generated part) and docs/benchmarks.png"
