package main

import (
	"context"
	"errors"
	"os"
)

func init() {
	register("load", func() *command {
		fs := newFlags("load")
		in := fs.StringP("input", "i", "", "tar file to read, plain or gzipped; - reads stdin (required)")
		return &command{
			name:    "load",
			summary: "store the tagged images of a docker save tar file",
			usage:   "load -i FILE.tar",
			example: "crossdock load -i robot.tar",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if *in == "" || len(args) > 0 {
					return usageError("load takes -i FILE.tar and no arguments")
				}
				if _, err := os.Stat(*in); *in != "-" && errors.Is(err, os.ErrNotExist) {
					return usageError("load: %s: no such file", *in)
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				path, cleanup, err := loadInput(*in, e.stdin, e.root)
				if err != nil {
					return err
				}
				defer cleanup()
				names, err := s.Load(ctx, path)
				for _, n := range names {
					e.log.Info("loaded", "ref", n)
				}
				return err
			},
		}
	})
}
