package main

import (
	"context"
	"fmt"

	"github.com/dustin/go-humanize"
)

func init() {
	register("prune", func() *command {
		return &command{
			name:    "prune",
			summary: "remove blobs and snapshots that no image in the store uses",
			usage:   "prune",
			example: "crossdock prune",
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageError("prune takes no arguments")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				rep, err := s.Prune(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "removed %d blobs (%s), %d temporary files, %d snapshots\n",
					len(rep.Blobs), humanize.Bytes(uint64(rep.Bytes)), rep.Temp, len(rep.Snapshots))
				return nil
			},
		}
	})
}
