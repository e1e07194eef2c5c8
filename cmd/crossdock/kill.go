package main

import (
	"context"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func init() {
	register("kill", func() *command {
		fs := newFlags("kill")
		sig := fs.StringP("signal", "s", "KILL", "signal to send: a name (TERM, SIGHUP) or a number")
		return &command{
			name:    "kill",
			summary: "send a signal to running containers",
			usage:   "kill [-s SIGNAL] CONTAINER...",
			example: "crossdock kill -s HUP steady_engelberger",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				s, err := parseSignal(*sig)
				if err != nil {
					return err
				}
				return eachContainer(ctx, e, "kill", args, func(ctx context.Context, name string) error {
					rt, err := newRuntime(e)
					if err != nil {
						return err
					}
					return rt.Kill(ctx, name, s)
				})
			},
		}
	})
}

// parseSignal reads "KILL", "SIGKILL", "kill" or "9".
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, usageError("kill -s %q: unknown signal", s)
}
