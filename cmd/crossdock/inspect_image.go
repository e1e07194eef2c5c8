package main

import (
	"context"
	"encoding/json"
)

// newImageInspect builds the image half of `crossdock inspect`;
// inspect_wrap.go registers the command, which tries a container first.
func newImageInspect() *command {
	fs := newFlags("inspect")
	platform := fs.String("platform", "", "show only the manifest picked for this platform (default: all)")
	return &command{
		name:    "inspect",
		summary: "print an image's index, manifests and configs as JSON",
		usage:   "inspect REF [--platform P]",
		example: "crossdock inspect --platform linux/arm/v7 owner/robot:v1",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageError("inspect takes one image reference")
			}
			s, err := openStore(e)
			if err != nil {
				return err
			}
			in, err := s.Inspect(ctx, args[0], *platform)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(in)
		},
	}
}
