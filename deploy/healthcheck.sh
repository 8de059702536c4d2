#!/bin/bash
# Docker HEALTHCHECK: one protocol exchange with a worker on the local port.
# Healthy when the greeting arrives and PING is answered with PONG within 2 s each.
set -u
port=${FORKLINE_PORT:-3000}
exec 3<>"/dev/tcp/127.0.0.1/$port" || { echo "cannot connect to 127.0.0.1:$port"; exit 1; }
IFS= read -r -t 2 greeting <&3 || { echo "no greeting"; exit 1; }
printf 'PING\r\n' >&3
IFS= read -r -t 2 answer <&3 || { echo "no answer to PING (greeted by ${greeting%$'\r'})"; exit 1; }
printf 'QUIT\r\n' >&3
exec 3>&-
[ "${answer%$'\r'}" = PONG ] || { echo "PING answered with: ${answer%$'\r'}"; exit 1; }
echo "PONG from pid ${greeting%$'\r'}"
