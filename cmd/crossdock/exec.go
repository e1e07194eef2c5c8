package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner"
)

func init() {
	register("exec", func() *command {
		fs := newFlags("exec")
		fs.SetInterspersed(false)
		interactive := fs.BoolP("interactive", "i", false, "keep stdin open")
		tty := fs.BoolP("tty", "t", false, "allocate a pseudo-terminal (stdin must be one)")
		envs := fs.StringArrayP("env", "e", nil, "set KEY=VALUE")
		user := fs.StringP("user", "u", "", "USER[:GROUP] (default: the container's)")
		workdir := fs.StringP("workdir", "w", "", "working folder (default: the container's)")
		return &command{
			name:    "exec",
			summary: "run a command in a running container",
			usage:   "exec [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER CMD...",
			example: "crossdock exec -it steady_engelberger /bin/sh",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) < 2 {
					return usageError("exec needs a container and a command")
				}
				rt, err := newRuntime(e)
				if err != nil {
					return err
				}
				sigs := make(chan os.Signal, 8)
				signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
				defer signal.Stop(sigs)
				spec := runner.ExecSpec{Cmd: args[1:], Env: *envs, User: *user, WorkingDir: *workdir,
					Tty: *tty, Interactive: *interactive}
				code, err := rt.Exec(context.WithoutCancel(ctx), args[0], spec,
					runner.Stdio{Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr, Signals: sigs})
				if err != nil {
					return err
				}
				if code != 0 {
					return errdefs.ExitError{Code: code}
				}
				return nil
			},
		}
	})
}
