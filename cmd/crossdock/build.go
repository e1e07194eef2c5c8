package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/crossdock/crossdock/builder"
)

// buildFlags are the flags build and lock share.
type buildFlags struct {
	file      string
	platforms []string
	locked    bool
	cacheDir  string
	mirror    string
	fs        *pflag.FlagSet
}

func (f *buildFlags) options(e *env) ([]builder.Option, error) {
	opts := []builder.Option{builder.WithStore(e.root)}
	if f.fs != nil && f.fs.Changed("platform") && len(f.platforms) == 0 {
		return nil, usageError("--platform: empty: name at least one platform, " +
			"or leave the flag out for the spec's")
	}
	if len(f.platforms) > 0 {
		opts = append(opts, builder.WithPlatforms(f.platforms...))
	}
	if f.locked {
		opts = append(opts, builder.WithLocked())
	}
	if f.cacheDir != "" {
		opts = append(opts, builder.WithCacheDir(f.cacheDir))
	}
	if f.mirror != "" {
		opts = append(opts, builder.WithMirror(f.mirror))
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > builder.MaxEpoch {
			return nil, usageError("SOURCE_DATE_EPOCH=%q: want seconds since 1970, "+
				"0..%d", s, builder.MaxEpoch)
		}
		opts = append(opts, builder.WithSourceDateEpoch(n))
	}
	opts = append(opts, builder.WithProgress(func(ev builder.Event) {
		args := []any{"step", ev.Step}
		if ev.Platform != "" {
			args = append(args, "platform", ev.Platform)
		}
		if ev.Layer > 0 {
			args = append(args, "layer", ev.Layer, "kind", ev.Kind)
		}
		if ev.Detail != "" {
			args = append(args, "detail", ev.Detail)
		}
		if ev.Step == "warning" {
			e.log.Warn("build", args...)
			return
		}
		e.log.Info("build", args...)
	}))
	return opts, nil
}

func addBuildFlags(fs *pflag.FlagSet, f *buildFlags) {
	f.fs = fs
	fs.StringVarP(&f.file, "file", "f", "crossdock.yaml", "the spec file")
	fs.StringSliceVar(&f.platforms, "platform", nil, "platforms to build (default: the spec's)")
	fs.BoolVar(&f.locked, "locked", false, "use only the lockfile's pins; fail if it is stale")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "builder cache (default ~/.cache/crossdock)")
	fs.StringVar(&f.mirror, "mirror", "", "Debian mirror URL (default: the spec's, else apt's)")
}

func init() {
	register("build", func() *command {
		fs := newFlags("build")
		var f buildFlags
		addBuildFlags(fs, &f)
		push := fs.Bool("push", false, "push the index to its registry after storing it")
		output := fs.String("output", "", "also write oci:DIR (OCI layout) or docker:FILE.tar (- for stdout)")
		tag := fs.String("tag", "", "store under this reference (default: the spec's name)")
		return &command{
			name:    "build",
			summary: "build a crossdock.yaml into a multi-platform image, without emulation",
			usage: "build [-f crossdock.yaml] [--platform LIST] [--push] " +
				"[--output oci:DIR|docker:FILE.tar] [--locked] [--tag REF]",
			example: "crossdock build -f examples/hello-go/crossdock.yaml --output docker:hello.tar --platform linux/arm/v7",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usageError("build takes no arguments (the spec is -f FILE)")
				}
				return runBuild(ctx, e, &f, *tag, *output, *push)
			},
		}
	})
}

func runBuild(ctx context.Context, e *env, f *buildFlags, tag, output string, push bool) error {
	kind, dest, err := parseOutput(output)
	if err != nil {
		return err
	}
	spec, err := builder.Load(f.file)
	if err != nil {
		return err
	}
	// Outputs are checked before the build, so a refused one costs nothing.
	switch kind {
	case "oci":
		err = builder.CheckOCILayoutDest(dest)
	case "docker":
		err = builder.CheckDockerDest(dest)
		if err == nil && len(f.platforms) != 1 && len(spec.Platforms) != 1 {
			err = usageError("--output docker:%s: a docker tarball holds one platform: "+
				"pick it with --platform", dest)
		}
	}
	if err != nil {
		return err
	}
	ref := spec.Name
	if tag != "" {
		ref = tag
	}
	if push {
		r, err := name.ParseReference(ref)
		if err != nil {
			return usageError("--tag %q: %v", ref, err)
		}
		if builder.IsLocalRef(r) {
			return usageError("--push: %s is under %s, a local-only name (give a registry "+
				"name with --tag)", ref, builder.LocalRegistry)
		}
	}
	opts, err := f.options(e)
	if err != nil {
		return err
	}
	res, err := builder.Build(ctx, spec, opts...)
	if err != nil {
		return err
	}
	if !f.locked {
		if err := writeLockIfChanged(builder.LockPath(spec), res.Lock); err != nil {
			return err
		}
	}

	if tag == "" && len(f.platforms) > 0 && !samePlatforms(f.platforms, spec.Platforms) {
		e.log.Warn("build: --platform builds fewer platforms than the spec names; the "+
			"index stored under the spec's name now holds only these (give --tag to keep "+
			"the full one)", "ref", ref, "platforms", strings.Join(f.platforms, ","))
	}
	// The store gets the index only now, after every layer was built.
	s, err := openStore(e)
	if err != nil {
		return err
	}
	if _, err := s.WriteIndex(ctx, ref, res.Index); err != nil {
		return fmt.Errorf("store %s: %w", ref, err)
	}
	switch kind {
	case "oci":
		err = builder.WriteOCILayout(dest, ref, res.Index)
	case "docker":
		one := ""
		if len(f.platforms) == 1 {
			one = f.platforms[0]
		}
		if dest == "-" {
			err = builder.WriteDockerTarballTo(e.stdout, ref, res.Index, one)
		} else {
			err = builder.WriteDockerTarball(dest, ref, res.Index, one)
		}
	}
	if err != nil {
		return err
	}
	if push {
		if err := s.Push(ctx, ref); err != nil {
			return err
		}
	}
	// With the tarball on standard output, the result line goes to stderr.
	out := e.stdout
	if kind == "docker" && dest == "-" {
		out = e.stderr
	}
	fmt.Fprintf(out, "%s %s\n", ref, res.Digest)
	return nil
}

// samePlatforms reports whether a and b name the same platforms, in any
// order.
func samePlatforms(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, p := range b {
		seen[p] = true
	}
	for _, p := range a {
		if !seen[p] {
			return false
		}
	}
	return true
}

// parseOutput splits --output into its kind and path.
func parseOutput(s string) (kind, dest string, err error) {
	if s == "" {
		return "", "", nil
	}
	kind, dest, ok := strings.Cut(s, ":")
	if !ok || dest == "" || (kind != "oci" && kind != "docker") {
		return "", "", usageError("--output %q: want oci:DIR or docker:FILE.tar", s)
	}
	return kind, dest, nil
}

// writeLockIfChanged keeps the lockfile's bytes (and mtime) when nothing
// changed.
func writeLockIfChanged(path string, l *builder.Lockfile) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, l.Marshal()) {
		return nil
	}
	return builder.WriteLock(path, l)
}
