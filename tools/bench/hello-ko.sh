#!/usr/bin/env bash
# Times crossdock build of examples/hello-go against ko build of the same
# program, both for linux/arm/v7 and linux/amd64, both pushing the index to
# crossdock's embedded registry on loopback. ko's base image is the u-root
# userland crossdock builds, pushed to that registry first, so both images
# hold the same two things: u-root and the program. Each round edits the
# program's greeting first, so both really rebuild it; the Go build cache is
# warm for both.
#
# usage: tools/bench/hello-ko.sh [WORKDIR] [ROUNDS]
# needs: ko on PATH or in $KO (go install github.com/google/ko@latest),
# crossdock built from this repo (the script builds it).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-/tmp/crossdock-bench}
ROUNDS=${2:-3}
. "$REPO/tools/bench/lib.sh"
KO=${KO:-$(command -v ko || echo "$(go env GOPATH)/bin/ko")}
[ -x "$KO" ] || { echo "no ko: go install github.com/google/ko@latest" >&2; exit 3; }
mkdir -p "$W"
CD="$W/crossdock"
(cd "$REPO" && go build -o "$CD" ./cmd/crossdock)

PORT=${PORT:-5177}
REG=127.0.0.1:$PORT
"$CD" registry serve --addr "$REG" --dir "$W/registry" >"$W/registry.log" 2>&1 &
RPID=$!
trap 'kill $RPID' EXIT
for _ in $(seq 50); do curl -fs "http://$REG/v2/" >/dev/null && break; sleep 0.2; done

# The program, in a folder of its own.
rm -rf "$W/hello" && cp -r "$REPO/examples/hello-go" "$W/hello"
rm -f "$W/hello/crossdock.lock"

# ko's base: the u-root layer alone.
mkdir -p "$W/base"
python3 - "$W/hello/crossdock.yaml" "$W/base/crossdock.yaml" <<'PY'
import sys
src = open(sys.argv[1]).read()
head, layers = src.split("layers:\n")
uroot = layers.split("  - go:")[0]
open(sys.argv[2], "w").write(head.replace("entrypoint: [/usr/bin/hello-go]", "entrypoint: [/bin/sh]")
                             .replace("cmd: [crossdock]", "cmd: []") + "layers:\n" + uroot)
PY
"$CD" build -f "$W/base/crossdock.yaml" --root "$W/root" --cache-dir "$W/cache" \
	--tag "$REG/bench/base:latest" --push >/dev/null 2>"$W/base.log"

run_round() {
	local i=$1
	sed -i "s/hello, %s/hello #$i, %s/; s/hello #[0-9]*, %s/hello #$i, %s/" "$W/hello/main.go"

	local t=$(now)
	(cd "$W/hello" && KO_DOCKER_REPO="$REG/bench/ko" KO_DEFAULTBASEIMAGE="$REG/bench/base:latest" \
		GOFLAGS=-mod=mod "$KO" build --bare --platform=linux/arm/v7,linux/amd64 . \
		>"$W/ko.out" 2>"$W/ko.log")
	local ko=$(elapsed "$t")

	t=$(now)
	"$CD" build -f "$W/hello/crossdock.yaml" --root "$W/root" --cache-dir "$W/cache" \
		--tag "$REG/bench/crossdock:latest" --push >"$W/cd.out" 2>"$W/cd.log"
	local cd=$(elapsed "$t")
	echo "round $i: ko build $ko s, crossdock build $cd s"
}

t=$(now)
"$CD" build -f "$W/hello/crossdock.yaml" --root "$W/root" --cache-dir "$W/cold-cache" \
	--tag "$REG/bench/crossdock:cold" --push >/dev/null 2>"$W/cold.log"
echo "crossdock build, empty crossdock cache (u-root compiled for both platforms): $(elapsed "$t") s"
rm -rf "$W/cold-cache"

for i in $(seq "$ROUNDS"); do run_round "$i"; done
echo "ko: $(cat "$W/ko.out")"
echo "crossdock: $(cat "$W/cd.out")"
