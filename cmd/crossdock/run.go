package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner"
)

func init() {
	register("run", func() *command {
		fs := newFlags("run")
		fs.SetInterspersed(false)
		var o runFlags
		o.add(fs)
		detach := fs.BoolP("detach", "d", false, "run in the background and print the container ID")
		return &command{
			name:    "run",
			summary: "run a command in a new container (any platform the host can run)",
			usage:   "run [flags] IMAGE [CMD...]",
			example: "crossdock run --rm --platform linux/arm/v7 -v data:/data robot:v1 uname -m",
			flags:   fs,
			run: func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usageError("run needs an image")
				}
				spec, err := o.spec(fs, args[0], args[1:])
				if err != nil {
					return err
				}
				rt, err := newRuntime(e)
				if err != nil {
					return err
				}
				if *detach {
					return runDetached(ctx, e, rt, spec)
				}
				return runForeground(ctx, e, rt, spec)
			},
		}
	})
}

// newRuntime opens the container runtime under the store root.
func newRuntime(e *env) (*runner.Runtime, error) {
	return runner.New(e.root)
}

func runDetached(ctx context.Context, e *env, rt *runner.Runtime, spec runner.Spec) error {
	// TODO: there is no attach: a detached container's stdin is /dev/null,
	// so `run -d -i` gives it nothing to read, and `-d -t` output is only in
	// the log. Docker's `-dit` then `attach` has no equivalent yet.
	if spec.Interactive {
		return usageError("run -d -i: crossdock cannot attach to a detached container's stdin; drop -i")
	}
	st, err := rt.Create(ctx, spec)
	if err != nil {
		return err
	}
	if err := rt.Start(ctx, st.ID); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, st.ID)
	return nil
}

// runForeground runs the container attached to the terminal and streams,
// passing signals on until it ends, and exits with its code.
func runForeground(ctx context.Context, e *env, rt *runner.Runtime, spec runner.Spec) error {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	sio := runner.Stdio{Stdout: e.stdout, Stderr: e.stderr, Signals: sigs}
	if spec.Interactive {
		sio.Stdin = e.stdin
	}
	if spec.Tty && !spec.Interactive {
		sio.Stdin = e.stdin // only to find the terminal to put in raw mode
	}
	// The container decides when it ends: a signal to crossdock is passed
	// on to it, not taken as a reason to leave it behind.
	code, err := rt.Run(context.WithoutCancel(ctx), spec, sio)
	if err != nil {
		return err
	}
	if code != 0 {
		return errdefs.ExitError{Code: code}
	}
	return nil
}
