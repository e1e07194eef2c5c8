package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func init() {
	register("version", func() *command {
		return &command{
			name:    "version",
			summary: "print the version of crossdock and of the Go that built it",
			usage:   "version",
			example: "crossdock version",
			flags:   newFlags("version"),
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usageError("version takes no arguments")
				}
				v := version
				if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" &&
					bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
				fmt.Fprintf(e.stdout, "crossdock %s %s %s/%s\n", v, runtime.Version(),
					runtime.GOOS, runtime.GOARCH)
				return nil
			},
		}
	})
}
