package crosstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdock/crossdock/builder"
	"github.com/crossdock/crossdock/snapshotter"
)

// SpecFile is the build spec a suite's folder may hold; `crossdock test
// DIR` builds it before running the suite.
const SpecFile = "crossdock.yaml"

// BuildOption changes how BuildAndShip builds.
type BuildOption func(*buildOptions)

type buildOptions struct {
	builder  []builder.Option
	progress func(step, detail string)
}

// WithBuilderOptions passes options to builder.Build (such as a mirror or
// a cache folder). By default the builder's own defaults apply.
func WithBuilderOptions(opts ...builder.Option) BuildOption {
	return func(o *buildOptions) { o.builder = append(o.builder, opts...) }
}

// WithBuildProgress sets a function told each step: build, push, pull.
func WithBuildProgress(f func(step, detail string)) BuildOption {
	return func(o *buildOptions) { o.progress = f }
}

// BuildAndShip is the path an image takes before a suite runs on it:
// build the spec for platforms (no emulation), store the index, push it to
// an embedded registry started for the call on 127.0.0.1:0 (its data in a
// temporary folder, removed after), and pull it back into the store for
// every platform. It returns the pulled reference, which names the
// image in the store after the registry is gone.
func BuildAndShip(ctx context.Context, specPath, root string, platforms []string, opts ...BuildOption) (string, error) {
	var o buildOptions
	for _, opt := range opts {
		opt(&o)
	}
	tell := func(step, detail string) {
		if o.progress != nil {
			o.progress(step, detail)
		}
	}
	spec, err := builder.Load(specPath)
	if err != nil {
		return "", err
	}
	tell("build", fmt.Sprintf("%s for %s", specPath, strings.Join(platforms, ", ")))
	bopts := append([]builder.Option{builder.WithStore(root), builder.WithPlatforms(platforms...)}, o.builder...)
	res, err := builder.Build(ctx, spec, bopts...)
	if err != nil {
		return "", err
	}
	store, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
	if err != nil {
		return "", err
	}
	if _, err := store.WriteIndex(ctx, spec.Name, res.Index); err != nil {
		return "", fmt.Errorf("store %s: %w", spec.Name, err)
	}

	regDir, err := os.MkdirTemp("", "crossdock-suite-registry-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(regDir)
	addr, stop, err := snapshotter.ServeRegistry(ctx, "127.0.0.1:0", regDir)
	if err != nil {
		return "", err
	}
	defer stop()
	shipped := addr + "/" + repository(spec.Name) + ":suite"
	tell("push", shipped)
	if err := store.Push(ctx, spec.Name, snapshotter.WithTarget(shipped)); err != nil {
		return "", err
	}
	tell("pull", shipped)
	if _, err := store.Pull(ctx, shipped, snapshotter.WithAllPlatforms()); err != nil {
		return "", err
	}
	tell("ready", fmt.Sprintf("%s %s", shipped, res.Digest))
	return shipped, nil
}

// repository is the path of a reference without registry host and tag:
// crossdock.local/examples/ros:latest gives examples/ros.
func repository(ref string) string {
	if i := strings.IndexByte(ref, '/'); i >= 0 && strings.ContainsAny(ref[:i], ".:") {
		ref = ref[i+1:]
	}
	if i := strings.LastIndexAny(ref, ":@"); i >= 0 && !strings.Contains(ref[i:], "/") {
		ref = ref[:i]
	}
	return filepath.ToSlash(ref)
}
