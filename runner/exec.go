package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/containerd/console"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Exec runs a process in a running container and returns its exit code
// (128+signal if a signal ended it). With Tty the caller's stdin and stdout
// must be the terminal (*os.File); runc then puts it in raw mode and passes
// window size changes on.
func (r *Runtime) Exec(ctx context.Context, nameOrID string, spec ExecSpec, sio Stdio) (int, error) {
	st, err := r.find(nameOrID)
	if err != nil {
		return -1, err
	}
	if st.Status != Running {
		return -1, errdefs.Invalid(fmt.Errorf("container %s is not running", st.Name))
	}
	if len(spec.Cmd) == 0 {
		return -1, errdefs.Invalid(errors.New("exec: no command given"))
	}
	args := []string{"--root", r.runcRoot, "exec"}
	cwd := st.Process.WorkingDir
	if spec.WorkingDir != "" {
		cwd = spec.WorkingDir
	}
	args = append(args, "--cwd", cwd)
	for _, kv := range mergeEnv(st.Process.Env, spec.Env) {
		args = append(args, "--env", kv)
	}
	user := st.Process.User
	if spec.User != "" {
		user = spec.User
	}
	u, err := resolveUser(r.dir(st.ID)+"/rootfs", user)
	if err != nil {
		return -1, err
	}
	args = append(args, "--user", fmt.Sprintf("%d:%d", u.UID, u.GID))
	for _, g := range u.AdditionalGids {
		args = append(args, "--additional-gids", strconv.Itoa(int(g)))
	}
	if spec.Tty {
		if spec.Interactive && !isTerminal(sio.Stdin) {
			return -1, errdefs.Invalid(errors.New("exec -it: stdin is not a terminal"))
		}
		if !isTerminal(sio.Stdin) && !isTerminal(sio.Stdout) && !isTerminal(sio.Stderr) {
			return -1, errdefs.Invalid(errors.New("exec -t: none of stdin, stdout, stderr is a terminal"))
		}
		args = append(args, "--tty")
	}
	// Through the init (not PID 1 here), as run does: a command not found
	// is 127 with the init's message naming it, one not executable 126,
	// rather than runc's 255 and log line.
	args = append(args, st.ID, initPath)
	if spec.Tty {
		args = append(args, "--tty")
	}
	args = append(append(args, "--"), spec.Cmd...)

	cmd := exec.CommandContext(ctx, r.runc, args...)
	cmd.Stdout, cmd.Stderr = sio.Stdout, sio.Stderr
	if spec.Interactive {
		cmd.Stdin = sio.Stdin
	} else if spec.Tty {
		// runc copies its stdin to the pty: without -i, give it one that
		// stays open and empty, as Docker's exec -t forwards no input (a
		// byte the caller's terminal sent would otherwise show, echoed, as
		// a stray ^@ or such before the output).
		rd, wr, err := os.Pipe()
		if err != nil {
			return -1, fmt.Errorf("exec in %s: %w", st.Name, err)
		}
		defer wr.Close()
		defer rd.Close()
		cmd.Stdin = rd
	}
	// In a process group of its own, runc leaves the terminal's ^C to this
	// process, which forwards it. But a background group that touches its
	// controlling terminal is stopped (SIGTTIN/SIGTTOU): with a terminal
	// as stdin, runc stays in the caller's group and gets the terminal's
	// signals itself.
	ownGroup := !spec.Tty && !isTerminal(cmd.Stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: ownGroup}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("exec in %s: %w", st.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sio.Signals:
			s, ok := sig.(syscall.Signal)
			if !ok || !ownGroup && !spec.Tty && (s == syscall.SIGINT || s == syscall.SIGQUIT) {
				// TODO: from the terminal runc got it too, so it is not
				// sent twice; a SIGINT sent to crossdock alone (kill -INT)
				// during exec -i on a terminal does not reach the process.
				continue
			}
			cmd.Process.Signal(s) // runc passes it on to the process
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), nil
			}
			if err != nil {
				return -1, fmt.Errorf("exec in %s: %w", st.Name, err)
			}
			return 0, nil
		}
	}
}

func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	if !ok {
		return false
	}
	_, err := console.ConsoleFromFile(f)
	return err == nil
}
