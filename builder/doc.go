// Package builder turns a crossdock.yaml spec into a reproducible,
// multi-platform OCI image index without running any foreign code.
//
// A spec names the platforms (linux/arm/v7 and linux/amd64 by default), the
// image config, and an ordered list of layer sources: Go main packages
// cross-compiled with CGO off, Debian packages unpacked from a signed
// archive, a u-root userland, files from the build context, and a base
// image. Every input is first resolved to a pin (Go module sums, Debian
// package sha256, base image digests, file contents) and written to a
// lockfile; every source then becomes one eStargz layer per platform, with
// sorted entries, fixed modification times, uid/gid 0 unless declared and no
// host-dependent metadata, so the same inputs give the same index digest on
// any machine.
//
// Layers are cached under a cache folder by a key over their source, their
// pins and the builder version, so a rebuild with nothing changed only
// assembles manifests.
//
// The package is quiet: progress is reported through WithProgress, and
// errors name the input at fault (spec file and line, Debian package and
// architecture, Go package and platform).
package builder
