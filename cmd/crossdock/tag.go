package main

import "context"

func init() {
	register("tag", func() *command {
		return &command{
			name:    "tag",
			summary: "give an image in the local store another name",
			usage:   "tag SRC DST",
			example: "crossdock tag owner/robot:v1 owner/robot:stable",
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usageError("tag takes a source and a target reference")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				return s.Tag(ctx, args[0], args[1])
			},
		}
	})
}
