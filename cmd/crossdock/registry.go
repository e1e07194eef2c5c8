package main

import (
	"context"
	"path/filepath"

	"github.com/crossdock/crossdock/snapshotter"
)

func init() {
	register("registry", func() *command {
		return &command{
			name:    "registry",
			summary: "run the embedded OCI registry",
			usage:   "registry SUBCOMMAND",
			example: "crossdock registry serve --addr 127.0.0.1:5115",
			subs:    []*command{newRegistryServe()},
		}
	})
}

func newRegistryServe() *command {
	fs := newFlags("serve")
	addr := fs.String("addr", snapshotter.DefaultRegistryAddr, "address to listen on")
	dir := fs.String("dir", "", "folder for the registry's data (default: ROOT/registry)")
	return &command{
		name:    "serve",
		summary: "serve the OCI distribution API from a folder until interrupted",
		usage:   "registry serve [--addr 127.0.0.1:PORT] [--dir DIR]",
		example: "crossdock registry serve --addr 127.0.0.1:5000 --dir /srv/registry",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError("registry serve takes no arguments")
			}
			data := *dir
			if data == "" {
				data = filepath.Join(e.root, "registry")
			}
			got, stop, err := snapshotter.ServeRegistry(ctx, *addr, data)
			if err != nil {
				return err
			}
			e.log.Info("registry listening", "addr", got, "data", data)
			<-ctx.Done()
			stop()
			e.log.Info("registry stopped", "addr", got)
			return nil
		},
	}
}
