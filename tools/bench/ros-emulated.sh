#!/usr/bin/env bash
# Times the emulated way of making the ROS example's armhf image: a
# Dockerfile that runs apt-get install of the same packages on a Debian
# armhf base, under qemu-user through binfmt_misc, in a private dockerd.
# No image is pulled from a public registry: the base is made with
# debootstrap --foreign plus its second stage under qemu, then docker
# import (making the base is not timed).
#
# usage: sudo tools/bench/ros-emulated.sh [WORKDIR]   (default /tmp/crossdock-bench)
# needs: root, debootstrap, docker.io, qemu-user-static with the qemu-arm
# handler registered (crossdock binfmt install arm).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-/tmp/crossdock-bench}
. "$REPO/tools/bench/lib.sh"
mkdir -p "$W"
M=$(mirror)

grep -q enabled /proc/sys/fs/binfmt_misc/qemu-arm || { echo "no qemu-arm handler" >&2; exit 3; }

if [ ! -f "$W/armhf-base.tar" ]; then
	rm -rf "$W/armhf-rootfs"
	t=$(now)
	debootstrap --arch=armhf --foreign --variant=minbase bookworm "$W/armhf-rootfs" "$M"
	chroot "$W/armhf-rootfs" /debootstrap/debootstrap --second-stage
	echo "deb $M bookworm main" >"$W/armhf-rootfs/etc/apt/sources.list"
	tar -C "$W/armhf-rootfs" -cf "$W/armhf-base.tar" .
	echo "armhf base (debootstrap, not part of the comparison): $(elapsed "$t") s"
fi

trap 'stop_docker "$W/docker"' EXIT
start_docker "$W/docker"
/usr/bin/docker import --platform linux/arm/v7 "$W/armhf-base.tar" bench/debian:bookworm-armhf >/dev/null

mkdir -p "$W/ctx"
cp "$REPO/examples/ros/nodes/talker.py" "$W/ctx/talker"
cp "$REPO/examples/ros/nodes/listener.py" "$W/ctx/listener"
cat >"$W/ctx/Dockerfile" <<'DOCKERFILE'
FROM bench/debian:bookworm-armhf
RUN apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ros-core python3-rospy python3-std-msgs && \
    rm -rf /var/lib/apt/lists/*
COPY talker listener /usr/local/bin/
ENV ROS_DISTRO=debian ROS_ROOT=/usr/share/ros ROS_PACKAGE_PATH=/usr/share \
    PYTHONPATH=/usr/lib/python3/dist-packages ROS_MASTER_URI=http://localhost:11311
CMD ["roscore"]
DOCKERFILE

t=$(now)
# No --platform here: docker 20.10's classic builder records the host's
# platform on each step's image and then refuses it for a linux/arm/v7
# build at the next step. The base is armhf all the same, so every RUN
# executes ARM code under qemu.
DOCKER_BUILDKIT=0 /usr/bin/docker build --network host \
	-t bench/ros:emulated "$W/ctx" >"$W/docker-build.log" 2>&1
echo "emulated docker build of the ROS image (linux/arm/v7 only): $(elapsed "$t") s"
/usr/bin/docker run --rm --network none bench/ros:emulated python3 -c \
	"import platform, rospy; print('ran on', platform.machine())"
