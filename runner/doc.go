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
// A detached container (Start) is watched by a shim: crossdock re-executed
// as its own session, which runs runc, writes the log, holds the published
// ports and records the exit code. A foreground container (Run) is watched the
// same way from the calling process. State changes take a flock, so any number
// of crossdock processes may share one root.
//
// Named volumes live under ROOT/volumes/NAME/_data until RemoveVolume.
package runner
