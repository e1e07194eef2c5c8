# Shared helpers for the benchmark scripts: a private Docker daemon (its own
# containerd, data, exec root and socket under $W/docker; no bridge, no
# iptables) and timing. Source it; it needs root.

# now prints seconds since the epoch with milliseconds.
now() { date +%s.%3N; }

# elapsed START prints the seconds since START.
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# start_docker DIR starts containerd and dockerd with everything under DIR
# and exports DOCKER_HOST; stop_docker tears both down.
start_docker() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/containerd.toml" <<TOML
version = 2
root = "$d/containerd-root"
state = "$d/containerd-state"
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
	containerd --config "$d/containerd.toml" >"$d/containerd.log" 2>&1 &
	echo $! >"$d/containerd.pid"
	for _ in $(seq 50); do [ -S "$d/containerd.sock" ] && break; sleep 0.2; done
	dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
		--host "unix://$d/docker.sock" --containerd "$d/containerd.sock" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false --experimental \
		>"$d/dockerd.log" 2>&1 &
	echo $! >"$d/dockerd.pid.own"
	export DOCKER_HOST="unix://$d/docker.sock"
	for _ in $(seq 100); do /usr/bin/docker version >/dev/null 2>&1 && return 0; sleep 0.3; done
	echo "dockerd did not start; see $d/dockerd.log" >&2
	return 1
}

stop_docker() {
	local d=$1
	[ -f "$d/dockerd.pid.own" ] && kill "$(cat "$d/dockerd.pid.own")" 2>/dev/null || true
	sleep 3
	[ -f "$d/containerd.pid" ] && kill "$(cat "$d/containerd.pid")" 2>/dev/null || true
	sleep 1
	# Lazily unmount whatever the daemons left under DIR, deepest first.
	awk -v d="$d/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# mirror prints the Debian mirror the ROS lockfile pins.
mirror() {
	python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); print([x for x in l["layers"] if x["kind"]=="debian"][0]["debian"]["mirror"])' \
		"$REPO/examples/ros/crossdock.lock"
}
