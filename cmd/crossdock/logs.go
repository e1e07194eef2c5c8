package main

import (
	"context"

	"github.com/crossdock/crossdock/runner"
)

func init() {
	register("logs", func() *command {
		fs := newFlags("logs")
		follow := fs.BoolP("follow", "f", false, "keep printing output until the container exits")
		tail := fs.IntP("tail", "n", 0, "print only the last N lines (0: all)")
		return &command{
			name:    "logs",
			summary: "print a container's output (stdout and stderr)",
			usage:   "logs [-f] [-n N] CONTAINER",
			example: "crossdock logs -f steady_engelberger",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usageError("logs takes one container name or ID")
				}
				rt, err := newRuntime(e)
				if err != nil {
					return err
				}
				return rt.Logs(ctx, args[0], runner.LogOptions{Follow: *follow, Tail: *tail, Stderr: e.stderr}, e.stdout)
			},
		}
	})
}
