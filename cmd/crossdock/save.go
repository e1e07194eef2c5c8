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
		platform := fs.String("platform", "", "platform that manifest.json tags, for docker load before Docker 25 "+
			"(the other platforms load untagged there; the OCI index.json part keeps the whole index) "+
			"(default: the host's)")
		return &command{
			name:    "save",
			summary: "write images to a tar file that docker load reads; an index keeps every platform",
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
