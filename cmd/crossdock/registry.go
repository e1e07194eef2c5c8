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
	enableDelete := fs.Bool("enable-delete", false, "allow DELETE of manifests and blobs (blobs are shared by every repository)")
	public := fs.Bool("insecure-public", false, "allow an --addr that is not loopback: the registry has no authentication and no TLS")
	return &command{
		name:    "serve",
		summary: "serve the OCI distribution API from a folder until interrupted (no auth, no TLS: loopback only by default)",
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
			if host, _, err := net.SplitHostPort(*addr); err == nil && !*public && !isLoopbackHost(host) {
				return usageError("registry serve --addr %s: not a loopback address; the registry has no authentication or TLS (give --insecure-public to serve it anyway)", *addr)
			}
			var opts []snapshotter.RegistryOption
			if *enableDelete {
				opts = append(opts, snapshotter.WithDelete())
			}
			data := *dir
			if data == "" {
				data = filepath.Join(e.root, "registry")
			}
			if fi, err := os.Stat(data); err == nil && !fi.IsDir() {
				return usageError("registry serve --dir %s: not a folder", data)
			}
			got, stop, err := snapshotter.ServeRegistry(ctx, *addr, data, opts...)
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

// isLoopbackHost reports whether host is localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
