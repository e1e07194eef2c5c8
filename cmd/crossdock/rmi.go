package main

import (
	"context"
	"fmt"
)

func init() {
	register("rmi", func() *command {
		return &command{
			name:    "rmi",
			summary: "remove image names from the local store (prune frees the space)",
			usage:   "rmi REF...",
			example: "crossdock rmi owner/robot:v1",
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usageError("rmi takes at least one image reference")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				removed, err := s.Remove(ctx, args...)
				for _, n := range removed {
					fmt.Fprintln(e.stdout, "removed", n)
				}
				return err
			},
		}
	})
}
