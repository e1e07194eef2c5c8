package main

import (
	"context"

	"github.com/crossdock/crossdock/snapshotter"
)

func init() {
	register("pull", func() *command {
		fs := newFlags("pull")
		platform := fs.String("platform", "", "platform to pull from an index (default: the host's)")
		all := fs.Bool("all-platforms", false, "pull every platform of an index, attestations included")
		verify := fs.Bool("verify", false, "hash the blobs already in the store before reusing them (default: sizes only)")
		return &command{
			name:    "pull",
			summary: "copy an image from a registry into the local store",
			usage:   "pull REF [--platform P | --all-platforms]",
			example: "crossdock pull --platform linux/arm/v7 owner/robot:v1",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usageError("pull takes one image reference")
				}
				if *all && fs.Changed("platform") {
					return usageError("pull: --platform and --all-platforms exclude each other")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				bars := newProgress(e, "pull")
				opts := []snapshotter.PullOption{snapshotter.WithPullProgress(bars.blob),
					snapshotter.WithChoice(func(c snapshotter.Choice) {
						if c.Fallback != "" {
							e.log.Warn("platform fallback", "requested", snapshotter.FormatPlatform(c.Requested),
								"chosen", snapshotter.FormatPlatform(c.Chosen), "manifest", c.Digest.String(), "why", c.Fallback)
							return
						}
						e.log.Info("platform", "chosen", snapshotter.FormatPlatform(c.Chosen), "manifest", c.Digest.String())
					})}
				if *verify {
					opts = append(opts, snapshotter.WithVerifyCached())
				}
				if *all {
					opts = append(opts, snapshotter.WithAllPlatforms())
				} else {
					opts = append(opts, snapshotter.WithPlatform(*platform))
				}
				h, err := s.Pull(ctx, args[0], opts...)
				bars.wait()
				if err != nil {
					return err
				}
				e.log.Info("pulled", "ref", args[0], "digest", h.String())
				return nil
			},
		}
	})
}
