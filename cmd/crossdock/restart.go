package main

import (
	"context"
	"time"
)

func init() {
	register("restart", func() *command {
		fs := newFlags("restart")
		secs := fs.IntP("time", "t", 10, "seconds to wait after SIGTERM before SIGKILL")
		return &command{
			name:    "restart",
			summary: "stop containers, then start them again in the background",
			usage:   "restart [-t SECONDS] CONTAINER...",
			example: "crossdock restart steady_engelberger",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				return eachContainer(ctx, e, "restart", args, func(ctx context.Context, name string) error {
					rt, err := newRuntime(e)
					if err != nil {
						return err
					}
					if err := rt.Stop(ctx, name, time.Duration(*secs)*time.Second); err != nil {
						return err
					}
					return rt.Start(ctx, name)
				})
			},
		}
	})
}
