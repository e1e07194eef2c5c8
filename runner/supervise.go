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
// its exit code.
//
// Without a terminal, `runc run` stays in the foreground: it passes the
// container's output on, forwards the signals it gets to the init, deletes
// the container when it ends and exits with its code. With a terminal,
// runc must detach to hand over the pty master (`runc run --detach
// --console-socket`), so the init becomes a child of this process, which
// must then be a child subreaper to read its exit status.
type watch struct {
	r       *Runtime
	st      State
	sio     Stdio
	log     *logWriter
	proxies *proxies
	copying sync.WaitGroup // output copied to the log and the caller
	term    *terminal
	pid     int
	runcCmd *exec.Cmd     // the foreground runc, without a terminal
	done    chan exitInfo // the container's end
}

type exitInfo struct{ code int }

// cgroupParent is the cgroup folder under which every container gets its
// own, named by its ID.
const cgroupParent = "crossdock"

// supervise starts the container id and waits for it to end. ready is called
// once, when the container runs or failed to. The exit code is the
// container's: the entrypoint's code, or 128+signal.
func (r *Runtime) supervise(ctx context.Context, id string, sio Stdio, ready func(error)) (int, error) {
	w := &watch{r: r, sio: sio, done: make(chan exitInfo, 1)}
	st, err := r.claim(ctx, id)
	if err != nil {
		ready(err)
		return -1, err
	}
	w.st = st
	if err := w.start(ctx); err != nil {
		w.cleanup()
		// As Docker: a container that could not start (a port taken, a
		// bad mount) stays created, with the reason.
		r.update(context.WithoutCancel(ctx), id, func(s *State) error {
			s.Status, s.ExitCode, s.Error, s.Pid, s.Ports = Created, -1, err.Error(), 0, nil
			s.Started = time.Time{}
			return nil
		})
		r.autoRemove(w.st)
		ready(err)
		return -1, err
	}
	ready(nil)

	code := w.wait(ctx)
	w.cleanup()
	if w.st.Spec.AutoRemove {
		return code, r.removeFiles(w.st, false)
	}
	_, err = r.update(context.WithoutCancel(ctx), id, func(s *State) error {
		s.Status, s.ExitCode, s.Pid, s.Ports = Exited, code, 0, nil
		s.Finished = time.Now().UTC()
		return nil
	})
	return code, err
}

// claim marks the container as running by this process, refusing one that
// already runs.
func (r *Runtime) claim(ctx context.Context, id string) (State, error) {
	return r.updateFast(ctx, id, func(s *State) error {
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
		r.removeFiles(st, true)
	}
}

// start prepares the bundle and has runc start the container detached.
func (w *watch) start(ctx context.Context) error {
	r, st := w.r, w.st
	dir := r.dir(st.ID)
	if err := r.checkHelper(); err != nil {
		return err
	}
	rootfs, err := r.mountRootfs(st)
	if err != nil {
		return err
	}
	if err := checkRootfs(st, rootfs); err != nil {
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
		helper: r.helper, cgroups: "/" + cgroupParent + "/" + st.ID}
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
	w.st, err = r.updateFast(ctx, st.ID, func(s *State) error {
		s.Pid, s.Ports = w.pid, bound
		return nil
	})
	return err
}

// runc starts the container: in the foreground on pipes, or detached on a
// pseudo-terminal.
func (w *watch) runc(ctx context.Context) error {
	r, st := w.r, w.st
	dir := r.dir(st.ID)
	pidFile := filepath.Join(dir, "pid")
	os.Remove(pidFile)
	runcLog := filepath.Join(dir, "runc.log")
	os.Remove(runcLog)
	if exists(filepath.Join(r.runcRoot, st.ID)) {
		// Left by a runc that died with its shim: it would refuse this run
		// ("container with given ID already exists"). claim made sure the
		// container no longer runs.
		exec.Command(r.runc, "--root", r.runcRoot, "delete", "--force", st.ID).Run()
	}
	args := []string{"--root", r.runcRoot, "--log", runcLog, "--log-format", "json",
		"run", "--bundle", dir, "--pid-file", pidFile, "--preserve-fds", "1"}
	cmd := exec.Command(r.runc)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	// The init reports on fd 3 once it forwards signals and has started
	// the entrypoint: a signal sent earlier could be lost, as PID 1 of a
	// namespace ignores signals it has no handler for.
	ready, readyW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start container %s: %w", st.Name, err)
	}
	defer ready.Close()
	cmd.ExtraFiles = []*os.File{readyW}
	initReady := func() {
		readyW.Close()
		ready.Read(make([]byte, 1)) // a byte, or EOF once the init is gone
	}

	if st.Spec.Tty {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("become subreaper: %w", err)
		}
		if w.term, err = newTerminal(); err != nil {
			readyW.Close()
			return err
		}
		args = append(args, "--detach", "--console-socket", w.term.socket.Path())
		cmd.Args = append([]string{"runc"}, append(args, st.ID)...)
		if err := cmd.Run(); err != nil {
			readyW.Close()
			w.term.close()
			return fmt.Errorf("start container %s: %s", st.Name, runcError(runcLog, err))
		}
		initReady()
		if w.pid, err = readPid(pidFile); err != nil {
			return fmt.Errorf("start container %s: %w", st.Name, err)
		}
		go w.reap()
		return w.attachTerminal()
	}

	closeAfter, err := w.pipes(cmd)
	closeAfter = append(closeAfter, readyW)
	if err != nil {
		return err
	}
	cmd.Args = append([]string{"runc"}, append(args, st.ID)...)
	err = cmd.Start()
	for _, f := range closeAfter {
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("start container %s: %w", st.Name, err)
	}
	w.runcCmd = cmd
	runcDone := make(chan struct{})
	go func() {
		cmd.Wait()
		close(runcDone)
		w.done <- exitInfo{code: exitCode(unix.WaitStatus(cmd.ProcessState.Sys().(syscall.WaitStatus)))}
	}()

	// runc writes the pid file once the init runs, and before it waits
	// for it; a runc that ends without one failed to start it.
	initReady()
	for {
		if w.pid, err = readPid(pidFile); err == nil {
			return nil
		}
		select {
		case <-runcDone:
			if w.pid, err = readPid(pidFile); err == nil {
				return nil
			}
			info := <-w.done
			return fmt.Errorf("start container %s: %s", st.Name,
				runcError(runcLog, fmt.Errorf("runc exit status %d", info.code)))
		case <-time.After(time.Millisecond):
		}
	}
}

// pipes connects the container's stdio to this process: stdout and stderr
// through pipes read into the log and the caller, stdin from the caller
// when the container is interactive (else /dev/null).
func (w *watch) pipes(cmd *exec.Cmd) ([]*os.File, error) {
	var closeAfter []*os.File
	if w.st.Spec.Interactive && w.sio.Stdin != nil {
		rd, wr, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		go func() {
			io.Copy(wr, w.sio.Stdin)
			wr.Close()
		}()
		cmd.Stdin, closeAfter = rd, append(closeAfter, rd)
	}
	for _, stream := range []string{"stdout", "stderr"} {
		rd, wr, err := os.Pipe()
		if err != nil {
			return closeAfter, fmt.Errorf("container %s: %w", w.st.Name, err)
		}
		closeAfter = append(closeAfter, wr)
		if stream == "stdout" {
			cmd.Stdout = wr
		} else {
			cmd.Stderr = wr
		}
		w.copyOut(rd, stream, w.callerStream(stream))
	}
	return closeAfter, nil
}

func readPid(pidFile string) (int, error) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("pid file %s: %w", pidFile, err)
	}
	return pid, nil
}

// reap waits for the detached init, a child of this subreaper.
func (w *watch) reap() {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(w.pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			w.done <- exitInfo{code: -1}
			return
		}
		w.done <- exitInfo{code: exitCode(ws)}
		return
	}
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

// wait forwards the caller's signals until the container ends, and
// returns its exit code. If ctx ends first, the container is killed
// (SIGKILL) and still waited for.
func (w *watch) wait(ctx context.Context) int {
	for {
		select {
		case <-ctx.Done():
			unix.Kill(w.pid, syscall.SIGKILL)
			ctx = context.Background()
		case info := <-w.done:
			return info.code
		case sig := <-w.sio.Signals:
			s, ok := sig.(syscall.Signal)
			if !ok {
				continue
			}
			switch {
			case s == syscall.SIGWINCH && w.term != nil:
				w.term.resize()
			case s == syscall.SIGWINCH:
			default:
				// To the init, which passes it on. (Signalling the foreground
				// runc, which would pass it on too, makes it leave the
				// container's cgroups behind.)
				unix.Kill(w.pid, s)
			}
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
	if _, err := os.Stat(filepath.Join(r.runcRoot, w.st.ID)); err == nil {
		// Detached, or a foreground runc that did not finish its work.
		exec.Command(r.runc, "--root", r.runcRoot, "delete", "--force", w.st.ID).Run()
	}
	unmount(filepath.Join(r.dir(w.st.ID), "rootfs"))
	removeCgroups(w.st.ID)
}

// removeCgroups removes the container's cgroup folders that runc left:
// runc 1.1 on cgroup v1 sometimes exits without them gone (seen after a
// forwarded SIGTERM). A folder still busy with a dying task is retried for
// a moment.
func removeCgroups(id string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent, id))
	if d := filepath.Join("/sys/fs/cgroup", cgroupParent, id); exists(d) {
		dirs = append(dirs, d) // cgroup v2
	}
	for _, d := range dirs {
		for try := 0; try < 50; try++ {
			if err := unix.Rmdir(d); err != unix.EBUSY {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
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
