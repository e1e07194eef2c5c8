package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Start starts a created or exited container detached: a shim process
// (the helper binary as crossdock-shim, in a session of its own) watches
// it, so it keeps running after the caller exits. Start returns once the
// container runs, or with the reason it could not start.
func (r *Runtime) Start(ctx context.Context, nameOrID string) error {
	st, err := r.find(nameOrID)
	if err != nil {
		return err
	}
	if st.Status == Running {
		return nil // as Docker: starting a running container is no error
	}
	if err := r.checkPlatform(st); err != nil {
		return err
	}
	cmd, err := r.startShim(st, nil)
	if err == nil {
		go cmd.Wait() // reap the shim if this process outlives it
	}
	return err
}

// startShim starts the shim of st, detached, and returns once the
// container runs or failed to start. With att, the shim writes the
// container's output to att's streams and reads its stdin from there too:
// a foreground run only attaches, and its end (even by SIGKILL) changes
// nothing for the container but where its output goes.
func (r *Runtime) startShim(st State, att *attachment) (*exec.Cmd, error) {
	if err := r.checkHelper(); err != nil {
		if att != nil {
			att.started()
		}
		return nil, err // the shim is the helper too
	}
	ready, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", st.Name, err)
	}
	defer ready.Close()
	logf, err := os.OpenFile(filepath.Join(r.dir(st.ID), "shim.log"),
		os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		readyW.Close()
		return nil, fmt.Errorf("start %s: %w", st.Name, err)
	}
	defer logf.Close()
	cmd := &exec.Cmd{
		Path:        r.helper,
		Args:        []string{shimName, r.root, st.ID, r.runc},
		Stdout:      logf,
		Stderr:      logf,
		ExtraFiles:  []*os.File{readyW},
		Dir:         "/",
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if att != nil {
		cmd.Args = append(cmd.Args, "attach")
		cmd.ExtraFiles = append(cmd.ExtraFiles, att.shimFiles...)
	}
	err = cmd.Start()
	readyW.Close()
	if att != nil {
		att.started()
	}
	if err != nil {
		return nil, fmt.Errorf("start shim for %s: %w", st.Name, err)
	}

	msg, _ := bufio.NewReader(ready).ReadString('\n')
	switch {
	case msg == "ok\n":
		return cmd, nil
	case strings.HasPrefix(msg, "error "):
		cmd.Wait()
		return nil, decodeError(msg)
	default:
		cmd.Wait()
		b, _ := os.ReadFile(filepath.Join(r.dir(st.ID), "shim.log"))
		return nil, fmt.Errorf("start %s: shim ended early: %s", st.Name, strings.TrimSpace(string(b)))
	}
}

// shimMain is crossdock-shim ROOT ID RUNC: it runs one container to its end
// and records its exit code. It reports "ok" or "error: ..." on fd 3.
func shimMain(args []string) int {
	if len(args) != 3 && (len(args) != 4 || args[3] != "attach") {
		fmt.Fprintln(os.Stderr, "usage: crossdock-shim ROOT ID RUNC [attach]")
		return 2
	}
	ready := os.NewFile(3, "ready")
	var sio Stdio
	if len(args) == 4 {
		sio = attachedStdio()
	}
	helper, err := os.Executable()
	if err != nil {
		fmt.Fprint(ready, encodeError(err))
		return 1
	}
	r, err := New(args[0], WithHelperBinary(helper), WithRunc(args[2]),
		WithPlatformCheck(func(string) error { return nil }))
	if err != nil {
		fmt.Fprint(ready, encodeError(err))
		return 1
	}
	reported := false
	report := func(err error) {
		if err != nil {
			fmt.Fprint(ready, encodeError(err))
		} else {
			fmt.Fprintln(ready, "ok")
		}
		ready.Close()
		reported = true
	}
	code, err := r.supervise(context.Background(), args[1], sio, report)
	if !reported {
		report(err)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "crossdock-shim: %v\n", err)
	}
	return code & 0xff
}

// encodeError writes err as one line that keeps its exit-code category.
func encodeError(err error) string {
	return fmt.Sprintf("error %d %s\n", errdefs.Code(err), strings.ReplaceAll(err.Error(), "\n", " "))
}

func decodeError(line string) error {
	code, msg, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "error ")), " ")
	err := errors.New(msg)
	switch code {
	case "2":
		return errdefs.Invalid(err)
	case "3":
		return errdefs.Host(err)
	}
	return err
}
