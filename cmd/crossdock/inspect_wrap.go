package main

import (
	"context"
	"encoding/json"
)

// `crossdock inspect` prints a container's state when its argument names a
// container, and otherwise goes on to the image (newImageInspect).
func init() {
	register("inspect", func() *command {
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
	})
}
