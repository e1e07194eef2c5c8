package main

import (
	"context"

	"github.com/crossdock/crossdock/snapshotter"
)

func init() {
	register("push", func() *command {
		fs := newFlags("push")
		to := fs.String("to", "", "push under this reference instead (default: REF itself)")
		return &command{
			name:    "push",
			summary: "copy an image from the local store to a registry, digests unchanged",
			usage:   "push REF [--to REF2]",
			example: "crossdock push owner/robot:v1 --to registry.example.org/owner/robot:v1",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usageError("push takes one image reference")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				target := args[0]
				if *to != "" {
					target = *to
				}
				bars := newProgress(e, "push")
				err = s.Push(ctx, args[0], snapshotter.WithTarget(target),
					snapshotter.WithPushProgress(bars.total))
				bars.wait()
				if err != nil {
					return err
				}
				e.log.Info("pushed", "ref", args[0], "to", target)
				return nil
			},
		}
	})
}
