package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Run creates and runs a container in the foreground: its output goes to
// sio (and to its log), signals from sio.Signals are forwarded to it, and
// Run returns its exit code once it ends. If ctx ends first, the container
// is killed. As with Start, a detached shim watches the container: the
// caller only attaches to it, so the container and its bookkeeping outlive
// a caller that dies.
func (r *Runtime) Run(ctx context.Context, spec Spec, sio Stdio) (int, error) {
	st, err := r.Create(ctx, spec)
	if err != nil {
		return -1, err
	}
	return r.RunCreated(ctx, st.ID, sio)
}

// RunCreated runs an existing container in the foreground, as Run does.
func (r *Runtime) RunCreated(ctx context.Context, nameOrID string, sio Stdio) (int, error) {
	st, err := r.find(nameOrID)
	if err != nil {
		return -1, err
	}
	if err := r.checkPlatform(st); err != nil {
		if st.Spec.AutoRemove {
			r.removeFiles(st, true)
		}
		return -1, err
	}
	att, err := newAttachment(sio)
	if err != nil {
		return -1, fmt.Errorf("attach to %s: %w", st.Name, err)
	}
	shim, err := r.startShim(st, att)
	if err != nil {
		if st.Spec.AutoRemove {
			r.removeFiles(st, true)
		}
		return -1, err
	}
	done := make(chan struct{})
	go func() {
		shim.Wait()
		close(done)
	}()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case sig := <-sio.Signals:
			shim.Process.Signal(sig) // the shim passes it on to the container
		case <-ctx.Done():
			r.Kill(context.WithoutCancel(ctx), st.ID, syscall.SIGKILL)
			ctx = context.Background()
		}
	}
	att.wait()
	ws, _ := shim.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -1, fmt.Errorf("container %s: the shim watching it died (%v)", st.Name, ws.Signal())
	}
	return ws.ExitStatus(), nil
}

// checkPlatform asks whether a foreign-platform container can run here.
func (r *Runtime) checkPlatform(st State) error {
	if st.Platform == "" || samePlatform(st.Platform, hostPlatform()) {
		return nil
	}
	return r.hostCheck(st.Platform)
}

// Wait blocks until the container is not running and returns its exit code.
func (r *Runtime) Wait(ctx context.Context, nameOrID string) (int, error) {
	st, err := r.find(nameOrID)
	if err != nil {
		return -1, err
	}
	for {
		cur, err := r.load(st.ID)
		if errors.Is(err, errdefs.ErrNotFound) && st.Spec.AutoRemove {
			return st.ExitCode, nil // removed on exit; its code went with it
		}
		if err != nil {
			return -1, err
		}
		if cur = r.refresh(cur); cur.Status != Running {
			return cur.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Kill sends sig to the container's init, which passes it on to the
// entrypoint (SIGKILL ends the whole container at once).
func (r *Runtime) Kill(ctx context.Context, nameOrID string, sig syscall.Signal) error {
	st, err := r.find(nameOrID)
	if err != nil {
		return err
	}
	if st.Status != Running {
		return errdefs.Invalid(fmt.Errorf("container %s is not running", st.Name))
	}
	out, err := exec.CommandContext(ctx, r.runc, "--root", r.runcRoot, "kill", st.ID,
		fmt.Sprint(int(sig))).CombinedOutput()
	if err != nil {
		if cur, _ := r.load(st.ID); cur.Status != Running {
			return nil // it ended meanwhile
		}
		return fmt.Errorf("kill %s: %s", st.Name, out)
	}
	return nil
}

// Stop sends SIGTERM, waits up to timeout for the container to end, then
// sends SIGKILL, as `docker stop` does. Stopping a container that is not
// running is no error.
func (r *Runtime) Stop(ctx context.Context, nameOrID string, timeout time.Duration) error {
	st, err := r.find(nameOrID)
	if err != nil {
		return err
	}
	if st.Status != Running {
		return nil
	}
	if err := r.Kill(ctx, st.ID, syscall.SIGTERM); err != nil {
		return err
	}
	// A --rm container may be removed by its shim as soon as it ends, before
	// Wait reads it: gone after our signal counts as stopped.
	gone := func(err error) bool { return errors.Is(err, errdefs.ErrNotFound) }
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := r.Wait(wctx, st.ID); err == nil || gone(err) {
		return nil
	}
	if err := r.Kill(ctx, st.ID, syscall.SIGKILL); err != nil && !gone(err) {
		return err
	}
	if _, err = r.Wait(ctx, st.ID); gone(err) {
		return nil
	}
	return err
}

// Remove deletes a container and its writable layer. A running container
// is refused, naming it, unless force is set; then it is killed first.
func (r *Runtime) Remove(ctx context.Context, nameOrID string, force bool) error {
	st, err := r.find(nameOrID)
	if err != nil {
		return err
	}
	if st.Status == Running {
		if !force {
			return errdefs.Invalid(fmt.Errorf("container %s is running: stop it first or use force (rm -f)", st.Name))
		}
		if err := r.Kill(ctx, st.ID, syscall.SIGKILL); err != nil {
			return err
		}
		if _, err := r.Wait(ctx, st.ID); errors.Is(err, errdefs.ErrNotFound) {
			return nil // a --rm container its shim removed on exit
		} else if err != nil {
			return err
		}
	}
	l, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()
	return r.removeFiles(st, true)
}

// removeFiles deletes what a stopped container left: runc's record (unless
// the caller knows there is none), a stale mount and its folder.
func (r *Runtime) removeFiles(st State, runcDelete bool) error {
	if runcDelete {
		exec.Command(r.runc, "--root", r.runcRoot, "delete", "--force", st.ID).Run()
	}
	dir := r.dir(st.ID)
	unmount(filepath.Join(dir, "rootfs"))
	// Drop the state first, so that a half-removed folder is never listed.
	os.Remove(r.statePath(st.ID))
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove container %s: %w", st.Name, err)
	}
	if err := r.releaseLease(st.ID); err != nil {
		return fmt.Errorf("remove container %s: %w", st.Name, err)
	}
	return nil
}

// List returns the containers, oldest first: only the running ones unless
// all is set.
func (r *Runtime) List(ctx context.Context, all bool) ([]State, error) {
	list, err := r.all()
	if err != nil {
		return nil, err
	}
	if all {
		return list, nil
	}
	var out []State
	for _, st := range list {
		if st.Status == Running {
			out = append(out, st)
		}
	}
	return out, nil
}

// Inspect returns one container's state.
func (r *Runtime) Inspect(ctx context.Context, nameOrID string) (State, error) {
	return r.find(nameOrID)
}
