package main

import "context"

func init() {
	register("rm", func() *command {
		fs := newFlags("rm")
		force := fs.BoolP("force", "f", false, "kill a running container first")
		return &command{
			name:    "rm",
			summary: "remove containers and their writable layers",
			usage:   "rm [-f] CONTAINER...",
			example: "crossdock rm -f steady_engelberger",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				return eachContainer(ctx, e, "rm", args, func(ctx context.Context, name string) error {
					rt, err := newRuntime(e)
					if err != nil {
						return err
					}
					return rt.Remove(ctx, name, *force)
				})
			},
		}
	})
}
