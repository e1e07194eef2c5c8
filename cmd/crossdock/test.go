package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner/stack"
	crosstest "github.com/crossdock/crossdock/testing"
)

func init() {
	register("test", func() *command {
		fs := newFlags("test")
		var o testFlags
		fs.StringSliceVar(&o.platforms, "platform", nil, "platforms to run on (default: the suite's)")
		fs.StringVar(&o.junit, "junit", "", "also write the report as JUnit XML to FILE")
		fs.StringVar(&o.json, "json", "", "also write the report as JSON to FILE")
		fs.BoolVar(&o.noBuild, "no-build", false, "don't build the folder's crossdock.yaml; use IMAGE from the suite's env")
		return &command{
			name:    "test",
			summary: "run a test suite on every platform (emulated when foreign) and report",
			usage:   "test SUITE.yaml|DIR [--platform LIST] [--junit FILE] [--json FILE] [--no-build]",
			example: "crossdock test examples/ros --junit ros.xml",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usageError("test takes one suite file or folder")
				}
				return runTest(ctx, e, args[0], &o)
			},
		}
	})
}

type testFlags struct {
	platforms []string
	junit     string
	json      string
	noBuild   bool
}

// suiteFile is the suite a folder given to `crossdock test` holds.
const suiteFile = "suite.yaml"

func runTest(ctx context.Context, e *env, arg string, o *testFlags) error {
	path, dir := arg, ""
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		dir, path = arg, filepath.Join(arg, suiteFile)
	}
	s, err := crosstest.Load(path)
	if err != nil {
		return err
	}
	if len(o.platforms) > 0 {
		s.Platforms = nil
		for _, p := range o.platforms {
			n, err := crosstest.NormalizePlatform(p)
			if err != nil {
				return errdefs.Invalid(fmt.Errorf("--platform: %w", err))
			}
			s.Platforms = append(s.Platforms, n)
		}
	}

	spec := filepath.Join(dir, crosstest.SpecFile)
	if _, err := os.Stat(spec); dir != "" && err == nil && !o.noBuild {
		ref, err := crosstest.BuildAndShip(ctx, spec, e.root, s.Platforms,
			crosstest.WithBuildProgress(func(step, detail string) {
				e.log.Info("prepare image", "step", step, "detail", detail)
			}))
		if err != nil {
			return fmt.Errorf("test %s: %w", arg, err)
		}
		if s.Env == nil {
			s.Env = map[string]string{}
		}
		s.Env["IMAGE"] = ref
	}

	rt, err := newRuntime(e)
	if err != nil {
		return err
	}
	stacks := stack.New(rt, e.root)
	images := crosstest.StoreImages(e.root)
	var targets []crosstest.Target
	for _, p := range s.Platforms {
		targets = append(targets, crosstest.NewLocal(stacks, images, p))
	}
	r, err := crosstest.Run(ctx, s, targets, crosstest.WithProgress(func(ev crosstest.Event) {
		switch {
		case ev.Result != nil:
			e.log.Info("test", "platform", ev.Platform, "name", ev.Test, "passed", ev.Result.Passed,
				"time", ev.Result.Duration.Round(1e7))
		case ev.What != "test":
			e.log.Info("stack "+ev.What, "platform", ev.Platform)
		}
	}))
	if err != nil {
		return err
	}
	if err := writeReports(r, o); err != nil {
		return err
	}
	if err := r.WriteText(e.stdout); err != nil {
		return err
	}
	if !r.Passed() {
		return errdefs.Failed(errors.New("test: the suite failed (report above)"))
	}
	return nil
}

func writeReports(r *crosstest.Report, o *testFlags) error {
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{o.junit, r.WriteJUnit}, {o.json, r.WriteJSON}} {
		if out.path == "" {
			continue
		}
		if err := atomicfile.Write(out.path, 0o644, out.write); err != nil {
			return fmt.Errorf("report %s: %w", out.path, err)
		}
	}
	return nil
}
