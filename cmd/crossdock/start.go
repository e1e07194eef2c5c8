package main

import "context"

func init() {
	register("start", func() *command {
		fs := newFlags("start")
		return &command{
			name:    "start",
			summary: "start stopped containers in the background",
			usage:   "start CONTAINER...",
			example: "crossdock start steady_engelberger",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				return eachContainer(ctx, e, "start", args, func(ctx context.Context, name string) error {
					rt, err := newRuntime(e)
					if err != nil {
						return err
					}
					return rt.Start(ctx, name)
				})
			},
		}
	})
}
