package main

import (
	"context"
	"io"

	"github.com/crossdock/crossdock/internal/atomicfile"
)

func init() {
	register("save", func() *command {
		fs := newFlags("save")
		out := fs.StringP("output", "o", "", "tar file to write (required)")
		platform := fs.String("platform", "", "platform to tag when an image is an index (default: the host's)")
		return &command{
			name: "save",
			summary: "write images to a tar file that docker load reads; every pulled platform " +
				"of an index goes in, one of them (--platform) tagged, the others loaded untagged",
			usage:   "save -o FILE.tar REF... [--platform P]",
			example: "crossdock save -o robot.tar --platform linux/arm/v7 owner/robot:v1",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if *out == "" {
					return usageError("save: -o FILE.tar is required")
				}
				if len(args) == 0 {
					return usageError("save takes at least one image reference")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				err = atomicfile.Write(*out, 0o644, func(w io.Writer) error {
					return s.Save(ctx, w, args, *platform)
				})
				if err != nil {
					return err
				}
				e.log.Info("saved", "file", *out, "images", len(args))
				return nil
			},
		}
	})
}
