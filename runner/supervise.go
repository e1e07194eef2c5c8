package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// watch is one start of a container, from mounting its rootfs to recording
// its exit code. The process that runs it (a shim, or the caller of Run)
// must be a child subreaper: runc detaches from the container, whose init
// then becomes this process's child, so that its exit status can be read.
type watch struct {
	r       *Runtime
	st      State
	sio     Stdio
	log     *logWriter
	proxies *proxies
	copying sync.WaitGroup // output copied to the log and the caller
	term    *terminal
	pid     int
}

// supervise starts the container id and waits for it to end. ready is called
// once, when the container runs or failed to. The exit code is the
// container's: the entrypoint's code, or 128+signal.
func (r *Runtime) supervise(ctx context.Context, id string, sio Stdio, ready func(error)) (int, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		err = fmt.Errorf("become subreaper: %w", err)
		ready(err)
		return -1, err
	}
	w := &watch{r: r, sio: sio}
	st, err := r.claim(ctx, id)
	if err != nil {
		ready(err)
		return -1, err
	}
	w.st = st
	if err := w.start(ctx); err != nil {
		w.cleanup()
		r.update(context.WithoutCancel(ctx), id, func(s *State) error {
			s.Status, s.ExitCode, s.Error, s.Pid = Exited, -1, err.Error(), 0
			s.Finished = time.Now().UTC()
			return nil
		})
		r.autoRemove(w.st)
		ready(err)
		return -1, err
	}
	ready(nil)

	code := w.wait()
	w.cleanup()
	_, err = r.update(context.WithoutCancel(ctx), id, func(s *State) error {
		s.Status, s.ExitCode, s.Pid, s.Ports = Exited, code, 0, nil
		s.Finished = time.Now().UTC()
		return nil
	})
	r.autoRemove(w.st)
	return code, err
}

// claim marks the container as running by this process, refusing one that
// already runs.
func (r *Runtime) claim(ctx context.Context, id string) (State, error) {
	return r.update(ctx, id, func(s *State) error {
		if r.refresh(*s).Status == Running {
			return errdefs.Invalid(fmt.Errorf("container %s is already running", s.Name))
		}
		s.Status, s.ShimPid, s.Pid, s.Error = Running, os.Getpid(), 0, ""
		s.Started, s.Finished, s.ExitCode = time.Now().UTC(), time.Time{}, 0
		return nil
	})
}

func (r *Runtime) autoRemove(st State) {
	if st.Spec.AutoRemove {
		r.removeFiles(st)
	}
}

// start prepares the bundle and has runc start the container detached.
func (w *watch) start(ctx context.Context) error {
	r, st := w.r, w.st
	dir := r.dir(st.ID)
	rootfs, err := r.mountRootfs(st)
	if err != nil {
		return err
	}
	user, err := resolveUser(rootfs, st.Process.User)
	if err != nil {
		return err
	}
	mounts, err := r.mountsFor(ctx, st, rootfs)
	if err != nil {
		return err
	}
	etc, err := r.writeEtc(st)
	if err != nil {
		return err
	}
	b := bundleSpec{st: st, rootfs: rootfs, user: user, mounts: mounts, etc: etc,
		helper: r.helper, cgroups: "/crossdock/" + st.ID}
	if err := writeBundle(dir, b); err != nil {
		return err
	}
	if w.proxies, err = listen(st.Spec.Ports); err != nil {
		return fmt.Errorf("container %s: %w", st.Name, err)
	}
	if w.log, err = openLog(filepath.Join(dir, "log.json")); err != nil {
		return err
	}
	if err := w.runc(ctx); err != nil {
		return err
	}

	bound := w.proxies.serve(w.pid)
	w.st, err = r.update(ctx, st.ID, func(s *State) error {
		s.Pid, s.Ports = w.pid, bound
		return nil
	})
	return err
}

// runc runs `runc run --detach`, with the container's stdio on pipes or a
// pseudo-terminal that this process reads.
func (w *watch) runc(ctx context.Context) error {
	r, st := w.r, w.st
	dir := r.dir(st.ID)
	pidFile := filepath.Join(dir, "pid")
	os.Remove(pidFile)
	runcLog := filepath.Join(dir, "runc.log")
	os.Remove(runcLog)
	args := []string{"--root", r.runcRoot, "--log", runcLog, "--log-format", "json",
		"run", "--detach", "--bundle", dir, "--pid-file", pidFile}

	cmd := exec.Command(r.runc)
	var closeAfter []*os.File
	var err error
	if st.Spec.Tty {
		if w.term, err = newTerminal(); err != nil {
			return err
		}
		args = append(args, "--console-socket", w.term.socket.Path())
	} else {
		if cmd.Stdin, closeAfter, err = w.stdinPipe(); err != nil {
			return err
		}
		for _, stream := range []string{"stdout", "stderr"} {
			rd, wr, err := os.Pipe()
			if err != nil {
				return fmt.Errorf("container %s: %w", st.Name, err)
			}
			closeAfter = append(closeAfter, wr)
			if stream == "stdout" {
				cmd.Stdout = wr
			} else {
				cmd.Stderr = wr
			}
			w.copyOut(rd, stream, w.callerStream(stream))
		}
	}
	cmd.Args = append([]string{"runc"}, append(args, st.ID)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	runErr := cmd.Run()
	for _, f := range closeAfter {
		f.Close()
	}
	if runErr != nil {
		if w.term != nil {
			w.term.close()
		}
		return fmt.Errorf("start container %s: %s", st.Name, runcError(runcLog, runErr))
	}
	pidBytes, err := os.ReadFile(pidFile)
	if err != nil {
		return fmt.Errorf("start container %s: %w", st.Name, err)
	}
	if w.pid, err = strconv.Atoi(strings.TrimSpace(string(pidBytes))); err != nil {
		return fmt.Errorf("start container %s: pid file: %w", st.Name, err)
	}
	if w.term != nil {
		return w.attachTerminal()
	}
	return nil
}

// stdinPipe gives the container the caller's stdin when it is interactive,
// else /dev/null.
func (w *watch) stdinPipe() (io.Reader, []*os.File, error) {
	if !w.st.Spec.Interactive || w.sio.Stdin == nil {
		return nil, nil, nil
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	go func() {
		io.Copy(wr, w.sio.Stdin)
		wr.Close()
	}()
	return rd, []*os.File{rd}, nil
}

func (w *watch) callerStream(stream string) io.Writer {
	if stream == "stderr" {
		return w.sio.Stderr
	}
	return w.sio.Stdout
}

// copyOut copies one output stream to the log and to the caller.
func (w *watch) copyOut(rd io.ReadCloser, stream string, to io.Writer) {
	w.copying.Add(1)
	go func() {
		defer w.copying.Done()
		defer rd.Close()
		buf := make([]byte, 32*1024)
		for {
			n, err := rd.Read(buf)
			if n > 0 {
				w.log.write(stream, buf[:n])
				if to != nil {
					to.Write(buf[:n])
				}
			}
			if err != nil {
				return
			}
		}
	}()
}

// wait forwards the caller's signals until the container's init ends, and
// returns its exit code.
func (w *watch) wait() int {
	done := make(chan int, 1)
	go func() {
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(w.pid, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				done <- -1
				return
			}
			done <- exitCode(ws)
			return
		}
	}()
	for {
		select {
		case code := <-done:
			return code
		case sig := <-w.sio.Signals:
			s, ok := sig.(syscall.Signal)
			if !ok {
				continue
			}
			if s == syscall.SIGWINCH && w.term != nil {
				w.term.resize()
				continue
			}
			unix.Kill(w.pid, s)
		}
	}
}

// exitCode follows the shell's rule: the code, or 128+signal.
func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// cleanup releases what a start took: ports, output, runc's record of the
// container and the rootfs mount.
func (w *watch) cleanup() {
	w.proxies.close()
	if w.term != nil {
		w.term.close()
	}
	w.copying.Wait()
	if w.log != nil {
		w.log.close()
	}
	r := w.r
	exec.Command(r.runc, "--root", r.runcRoot, "delete", "--force", w.st.ID).Run()
	unmount(filepath.Join(r.dir(w.st.ID), "rootfs"))
}

// runcError returns the last error runc logged, or err.
func runcError(logPath string, err error) string {
	b, _ := os.ReadFile(logPath)
	msg := ""
	for _, line := range strings.Split(string(b), "\n") {
		var entry struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Level == "error" {
			msg = entry.Msg
		}
	}
	if msg == "" {
		return err.Error()
	}
	return "runc: " + msg
}
