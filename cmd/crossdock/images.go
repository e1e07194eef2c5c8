package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/snapshotter"
)

func init() {
	register("images", func() *command {
		return &command{
			name:    "images",
			summary: "list the images in the local store",
			usage:   "images",
			example: "crossdock images",
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageError("images takes no arguments")
				}
				s, err := openStore(e)
				if err != nil {
					return err
				}
				list, err := s.List(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tDIGEST\tPLATFORMS\tSIZE")
				broken := 0
				for _, en := range list {
					if en.Err != nil {
						broken++
						e.log.Warn("image is broken; store verify --repair drops it", "error", en.Err)
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Name, shortDigest(en.Digest.String()), "BROKEN", "-")
						continue
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Name, shortDigest(en.Digest.String()),
						platformList(en), humanize.Bytes(uint64(en.Size)))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if broken > 0 {
					return errdefs.Failed(fmt.Errorf("images: %d broken images", broken))
				}
				return nil
			},
		}
	})
}

// shortDigest keeps sha256: and the first 12 hex digits.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func platformList(en snapshotter.Entry) string {
	var ps []string
	for _, p := range en.Platforms {
		ps = append(ps, snapshotter.FormatPlatform(p))
	}
	out := strings.Join(ps, ",")
	if out == "" {
		out = "-"
	}
	if n := len(en.Missing); n > 0 {
		out += fmt.Sprintf(" (+%d not pulled)", n)
	}
	return out
}
