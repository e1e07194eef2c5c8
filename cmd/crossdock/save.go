package main

import (
	"context"
	"io"
	"os"
)

func init() {
	register("save", func() *command {
		fs := newFlags("save")
		out := fs.StringP("output", "o", "", "tar file to write; - (or no -o when stdout is not a terminal) writes to stdout")
		platform := fs.String("platform", "", "platform that manifest.json tags, for docker load before Docker 25 "+
			"(the other platforms load untagged there; the OCI index.json part keeps the whole index) "+
			"(default: the host's)")
		return &command{
			name:    "save",
			summary: "write images to a tar file that docker load reads; an index keeps every platform",
			usage:   "save [-o FILE.tar|-] REF... [--platform P]",
			example: "crossdock save -o robot.tar --platform linux/arm/v7 owner/robot:v1",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if *out == "" {
					if f, ok := e.stdout.(*os.File); ok && isTerminal(f) {
						return usageError("save: stdout is a terminal; give -o FILE.tar, or -o - to write the tar there anyway")
					}
					*out = "-"
				}
				if len(args) == 0 {
					return usageError("save takes at least one image reference")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				err = writeOutput(*out, e.stdout, func(w io.Writer) error {
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
