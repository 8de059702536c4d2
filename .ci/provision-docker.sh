#!/usr/bin/env bash
# Makes Docker usable for the integration tests on a machine that has no Docker engine and no image
# registry (our CI): installs the engine and docker-compose from Debian, starts dockerd, and builds
# a JRE base image with debootstrap from the Debian mirror instead of pulling one.
#
# Idempotent: each step is skipped when its result is already there. Run as root.
# Prints the base image's name on stdout as its last line; logs go to stderr.
set -euo pipefail

IMAGE=${FORKLINE_BASE_IMAGE:-forkline/jre:17}
SUITE=bookworm

log() { echo "provision-docker: $*" >&2; }

need_packages=()
command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need_packages+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need_packages+=(debootstrap)
if [ ${#need_packages[@]} -gt 0 ]; then
    log "installing ${need_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "${need_packages[@]}" >&2; then
        apt-get update -q >&2
        apt-get install -y -q "${need_packages[@]}" >&2
    fi
fi

if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    nohup dockerd >/var/log/forkline-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/forkline-dockerd.log"; exit 1; }
fi

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    # The Debian mirror this machine's apt already uses (deb822 .sources or a classic .list line).
    mirror=$(grep -hoE '^URIs: *https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | sed 's/^URIs: *//' || true)
    if [ -z "$mirror" ]; then
        mirror=$(grep -hoE '^deb +https?://[^ ]+/debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | head -n 1 | awk '{print $2}' || true)
    fi
    mirror=${mirror:-http://deb.debian.org/debian}
    root=$(mktemp -d /tmp/forkline-jre-rootfs.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    log "building $IMAGE with debootstrap from $mirror (about a minute)"
    # procps gives the image kill and ps (the crash tests kill a worker inside the container).
    debootstrap --variant=minbase --include=openjdk-17-jre-headless,procps "$SUITE" "$root" "$mirror" >&2
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import \
        --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        - "$IMAGE" >&2
    log "built $IMAGE"
fi
echo "$IMAGE"
