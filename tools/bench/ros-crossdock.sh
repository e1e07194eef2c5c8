#!/usr/bin/env bash
# Times crossdock build of examples/ros from its lockfile, the side of the
# comparison with ros-emulated.sh:
#   1. linux/arm/v7 only, from an empty cache (downloads every .deb), the
#      same work as the emulated docker build;
#   2. both platforms, .debs in the cache, layers not;
#   3. both platforms again, nothing changed (everything from the cache).
#
# usage: tools/bench/ros-crossdock.sh [WORKDIR]   (default /tmp/crossdock-bench)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-/tmp/crossdock-bench}
. "$REPO/tools/bench/lib.sh"
mkdir -p "$W"
CD="$W/crossdock"
(cd "$REPO" && go build -o "$CD" ./cmd/crossdock)
C="$W/ros-cache"
rm -rf "$C" "$W/ros-root"
build() { "$CD" build -f "$REPO/examples/ros/crossdock.yaml" --locked --root "$W/ros-root" \
	--cache-dir "$C" "$@" 2>>"$W/ros-crossdock.log"; }

t=$(now)
build --platform linux/arm/v7 --tag bench/ros:armv7 >/dev/null
echo "crossdock build, linux/arm/v7, empty cache: $(elapsed "$t") s"

rm -rf "$C/layers" "$C/blobs"
t=$(now)
build >/dev/null
echo "crossdock build, both platforms, .debs cached: $(elapsed "$t") s"

t=$(now)
out=$(build)
echo "crossdock build, both platforms, nothing changed: $(elapsed "$t") s ($out)"
