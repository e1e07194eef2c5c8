// Package runner runs containers from images in crossdock's store, natively
// or for a foreign architecture under qemu-user through binfmt_misc.
//
// A container is a folder under ROOT/containers/ID holding its state (JSON,
// written atomically), its OCI runtime bundle, its volatile writable layer
// (the overlayfs upper and work folders) and its JSON-lines log. The rootfs is
// an overlay of the image's unpacked layers (shared between containers) and
// that writable layer; runc runs the bundle. PID 1 in the container is a small
// init (the static crossdock binary, bind-mounted read-only at
// /dev/crossdock-init) that starts the entrypoint, reaps orphans, forwards
// signals and exits with the entrypoint's code, or 128+signal.
//
// Every container is watched by a shim: crossdock re-executed as its own
// session (argv[0] crossdock-shim), which runs runc, writes the log, holds the
// published ports and records the exit code. Start leaves it detached; Run
// (the foreground `crossdock run`) starts the same shim and attaches to it,
// handing it the caller's streams and forwarding signals, so a caller that dies
// leaves the container watched. State changes take a flock, so any number of
// crossdock processes may share one root.
//
// Named volumes live under ROOT/volumes/NAME/_data until RemoveVolume.
package runner
