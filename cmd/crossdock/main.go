// Command crossdock takes robot software from source to a tested,
// multi-architecture container image, and runs it the same way on a laptop
// (under qemu-user emulation) and on the robot.
//
// Every subcommand lives in a file of its own and registers itself with
// register in an init function; main only parses, runs, prints and exits.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner"
)

func main() {
	if code, ok := runner.Main(os.Args); ok { // container init and shim modes
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels ctx so the command can clean up; restoring
		// the default handling lets a second one end a command that is stuck.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}

// report prints err (if it is worth printing) and returns the exit code.
func report(err error, stderr io.Writer) int {
	if errors.Is(err, errHelp) {
		return 0
	}
	code := errdefs.Code(err)
	if err != nil && !isQuietExit(err) {
		io.WriteString(stderr, "crossdock: "+err.Error()+"\n")
	}
	return code
}
