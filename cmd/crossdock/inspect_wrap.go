package main

import (
	"context"
	"encoding/json"
)

// `crossdock inspect` is registered by inspect_image.go for images. This
// file, which the go tool compiles after it (files are taken in name
// order), widens it: a name that is a container prints the container's
// state; anything else goes on to the image.
func init() {
	newImageInspect, ok := commands["inspect"]
	if !ok {
		return
	}
	commands["inspect"] = func() *command {
		c := newImageInspect()
		inspectImage := c.run
		c.summary = "print a container's state, or an image's index, manifests and configs, as JSON"
		c.usage = "inspect CONTAINER | REF [--platform P]"
		c.run = func(ctx context.Context, e *env, args []string) error {
			if len(args) == 1 && !c.flags.Changed("platform") {
				if rt, err := newRuntime(e); err == nil {
					if st, err := rt.Inspect(ctx, args[0]); err == nil {
						enc := json.NewEncoder(e.stdout)
						enc.SetIndent("", "  ")
						return enc.Encode(st)
					}
				}
			}
			return inspectImage(ctx, e, args)
		}
		return c
	}
}
