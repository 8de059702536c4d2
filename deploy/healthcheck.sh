#!/bin/bash
# Health checks of a Forkline container that start no JVM (bash and its /dev/tcp only).
#
#   healthcheck.sh         one protocol exchange with a worker on the local port: the greeting, then
#                          PING answered with PONG (Docker HEALTHCHECK, Compose, Swarm); with an
#                          application (FORKLINE_APP), whose protocol is its own, the same as `ready`
#   healthcheck.sh ready   GET /readyz on the admin API: 200 when every slot has a ready worker
#                          (Kubernetes readiness and startup probes)
#   healthcheck.sh live    GET /livez on the admin API: 200 while the supervisor's loop turns
#                          (Kubernetes liveness probe)
#
# The admin API is asked where the forkline commands find it (FORKLINE_ADMIN_HOST, a wildcard
# meaning loopback, and FORKLINE_ADMIN_PORT), with FORKLINE_ADMIN_TOKEN as bearer token when it is
# set: so the probes work with the API's loopback default, from inside the container, token or not.
# Every answer must come within 2 s. Exit 0 when healthy; else 1 and one line saying why.
set -u

protocol_check() {
    local port=${FORKLINE_PORT:-3000} greeting answer
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo "cannot connect to 127.0.0.1:$port"; exit 1; }
    IFS= read -r -t 2 greeting <&3 || { echo "no greeting"; exit 1; }
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 answer <&3 || { echo "no answer to PING (greeted by ${greeting%$'\r'})"; exit 1; }
    printf 'QUIT\r\n' >&3
    exec 3>&-
    [ "${answer%$'\r'}" = PONG ] || { echo "PING answered with: ${answer%$'\r'}"; exit 1; }
    echo "PONG from pid ${greeting%$'\r'}"
}

admin_check() {
    local path=$1 host=${FORKLINE_ADMIN_HOST:-127.0.0.1} port=${FORKLINE_ADMIN_PORT:-9090}
    local auth='' status line body='' authority
    host=${host#[}
    host=${host%]}
    case $host in 0.0.0.0 | ::) host=127.0.0.1 ;; esac
    # Host is uri-host:port, and an IPv6 address goes in brackets there (RFC 9112 §3.2, RFC 3986
    # §3.2.2): the server answers "Host: ::1" with 400.
    case $host in
        *:*) authority="[$host]:$port" ;;
        *) authority="$host:$port" ;;
    esac
    [ "$port" != 0 ] || { echo "the admin API is off (FORKLINE_ADMIN_PORT=0): no $path"; exit 1; }
    if [ -n "${FORKLINE_ADMIN_TOKEN:-}" ]; then
        auth="Authorization: Bearer $FORKLINE_ADMIN_TOKEN"$'\r\n'
    fi
    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || { echo "cannot connect to the admin API at $authority"; exit 1; }
    # printf is a builtin: the token never appears in a process's command line.
    printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n' "$path" "$authority" "$auth" >&3
    IFS= read -r -t 2 status <&3 || { echo "no answer from the admin API to GET $path"; exit 1; }
    # Skip the headers; the first line of the body says why (e.g. "not ready: slot 1 starting").
    while IFS= read -r -t 2 line <&3 && [ -n "${line%$'\r'}" ]; do :; done
    IFS= read -r -t 2 body <&3
    exec 3>&-
    status=${status%$'\r'}
    case $status in
        'HTTP/1.1 200 '*) echo "$path: ${body%$'\r'}" ;;
        *) echo "$path: ${status#HTTP/1.1 } ${body%$'\r'}"; exit 1 ;;
    esac
}

default=protocol
[ -z "${FORKLINE_APP:-}" ] || default=ready
case ${1:-$default} in
    protocol) protocol_check ;;
    ready) admin_check /readyz ;;
    live) admin_check /livez ;;
    *) echo "usage: healthcheck.sh [ready|live]"; exit 2 ;;
esac
