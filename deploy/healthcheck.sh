#!/bin/bash
# Docker HEALTHCHECK, without starting a JVM per check.
# - The built-in server: one protocol exchange with a worker on the local port; healthy when the
#   greeting arrives and PING is answered with PONG within 2 s each.
# - An application (FORKLINE_APP): its protocol is its own, so ask the supervisor: GET /readyz on the
#   admin API (200 when every slot has a ready worker), with the bearer token when one is set.
set -u
if [ -n "${FORKLINE_APP:-}" ]; then
    admin=${FORKLINE_ADMIN_PORT:-9090}
    [ "$admin" != 0 ] || { echo "FORKLINE_ADMIN_PORT=0: no readiness probe for an application"; exit 1; }
    exec 3<>"/dev/tcp/127.0.0.1/$admin" || { echo "cannot connect to the admin API on 127.0.0.1:$admin"; exit 1; }
    auth=""
    [ -z "${FORKLINE_ADMIN_TOKEN:-}" ] || auth="Authorization: Bearer $FORKLINE_ADMIN_TOKEN"$'\r\n'
    printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$auth" >&3
    IFS= read -r -t 2 status <&3 || { echo "no answer from /readyz"; exit 1; }
    body=$(timeout 2 cat <&3 | tail -n 1)
    exec 3>&-
    case "$status" in
        "HTTP/1.1 200"*) echo "${body:-ready}"; exit 0 ;;
        *) echo "${status%$'\r'}: ${body}"; exit 1 ;;
    esac
fi
port=${FORKLINE_PORT:-3000}
exec 3<>"/dev/tcp/127.0.0.1/$port" || { echo "cannot connect to 127.0.0.1:$port"; exit 1; }
IFS= read -r -t 2 greeting <&3 || { echo "no greeting"; exit 1; }
printf 'PING\r\n' >&3
IFS= read -r -t 2 answer <&3 || { echo "no answer to PING (greeted by ${greeting%$'\r'})"; exit 1; }
printf 'QUIT\r\n' >&3
exec 3>&-
[ "${answer%$'\r'}" = PONG ] || { echo "PING answered with: ${answer%$'\r'}"; exit 1; }
echo "PONG from pid ${greeting%$'\r'}"
