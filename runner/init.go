package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// initName is the argv[0] under which the crossdock binary acts as a
// container's init, and shimName the one under which it watches a detached
// container.
const (
	initName = "crossdock-init"
	shimName = "crossdock-shim"
)

// forwarded are the signals the init passes on to the entrypoint.
var forwarded = []os.Signal{
	unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2,
	unix.SIGQUIT, unix.SIGWINCH,
}

// Main runs the crossdock binary's helper modes, chosen by argv[0]: the
// container init and the shim. It reports false when args[0] names neither,
// and main goes on as the CLI. Call it first thing in main:
//
//	if code, ok := runner.Main(os.Args); ok {
//		os.Exit(code)
//	}
func Main(args []string) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch filepath.Base(args[0]) {
	case initName:
		return Init(args[1:]), true
	case shimName:
		return shimMain(args[1:]), true
	}
	return 0, false
}

// Init is PID 1 of a container: it starts the command after "--" as its
// child, forwards signals to it, reaps every process that ends in the
// container, and returns the child's exit code, or 128+signal if a signal
// ended it. With --tty the child's process group becomes the terminal's
// foreground group, so that ^C reaches the child, not the init.
//
// With --ready-fd N it writes one byte to fd N, and closes it, once it
// forwards signals and the entrypoint has started.
func Init(args []string) int {
	tty, readyFd := false, -1
	for len(args) > 0 && args[0] != "--" {
		switch {
		case args[0] == "--tty":
			tty = true
		case args[0] == "--ready-fd" && len(args) > 1:
			readyFd, _ = strconv.Atoi(args[1])
			args = args[1:]
		}
		args = args[1:]
	}
	if readyFd >= 0 {
		unix.CloseOnExec(readyFd) // the entrypoint must not inherit it
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "crossdock-init: no command given")
		return 127
	}
	args = args[1:]

	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, append([]os.Signal{unix.SIGCHLD}, forwarded...)...)

	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "crossdock-init: %v\n", err)
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EISDIR) {
			return 126 // there, but not executable
		}
		return 127
	}
	// The child leads a process group of its own; on a terminal that
	// group is the foreground one, so ^C reaches the child, not the init.
	attr := &syscall.SysProcAttr{Setpgid: true}
	if tty {
		attr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
	}
	p, err := os.StartProcess(path, args, &os.ProcAttr{
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Env:   os.Environ(),
		Sys:   attr,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "crossdock-init: %v\n", err)
		if os.IsPermission(err) {
			return 126
		}
		return 127
	}
	child := p.Pid
	if readyFd >= 0 {
		unix.Write(readyFd, []byte{1})
		unix.Close(readyFd)
	}

	for sig := range sigs {
		if sig != unix.SIGCHLD {
			unix.Kill(child, sig.(syscall.Signal))
			continue
		}
		if code, done := reap(child); done {
			return code
		}
	}
	return 0
}

// reap collects every ended process without blocking, and reports the exit
// code once the child is among them.
func reap(child int) (int, bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return 0, false
		}
		if pid == child {
			return exitCode(ws), true
		}
	}
}
