package main

import (
	"context"
	"fmt"

	"github.com/crossdock/crossdock/builder"
)

func init() {
	register("lock", func() *command {
		fs := newFlags("lock")
		var f buildFlags
		addBuildFlags(fs, &f)
		return &command{
			name:    "lock",
			summary: "resolve every input of a spec and write its lockfile next to it (crossdock.yaml: crossdock.lock)",
			usage:   "lock [-f crossdock.yaml] [--platform LIST] [--mirror URL]",
			example: "crossdock lock -f examples/ros/crossdock.yaml",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usageError("lock takes no arguments (the spec is -f FILE)")
				}
				spec, err := builder.Load(f.file)
				if err != nil {
					return err
				}
				opts, err := f.options(e)
				if err != nil {
					return err
				}
				l, err := builder.Lock(ctx, spec, opts...)
				if err != nil {
					return err
				}
				path := builder.LockPath(spec)
				if err := writeLockIfChanged(path, l); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, path)
				return nil
			},
		}
	})
}
