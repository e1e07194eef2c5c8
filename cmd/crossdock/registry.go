package main

import (
	"context"
	"net"
	"os"
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
	addr := fs.String("addr", "", "address to listen on (default: $CROSSDOCK_REGISTRY, else "+snapshotter.DefaultRegistryAddr+")")
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
			if err := snapshotter.CheckDefaultRegistry(); err != nil {
				return err
			}
			if *addr == "" {
				*addr = snapshotter.DefaultRegistry()
			}
			if _, port, err := net.SplitHostPort(*addr); err != nil || port != "0" {
				if err := snapshotter.CheckRegistryAddr(*addr); err != nil {
					return usageError("registry serve --addr: %w", err)
				}
			}
			data := *dir
			if data == "" {
				data = filepath.Join(e.root, "registry")
			}
			if fi, err := os.Stat(data); err == nil && !fi.IsDir() {
				return usageError("registry serve --dir %s: not a folder", data)
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
