package main

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// exec reports a command it cannot run as run does: 127 naming a command
// not found, 126 for one not executable, the command's code otherwise.
func TestExecMissingCommand(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	mustRun(t, root, "run", "-d", "--name", "ex", "robot/probe:amd64", "sleep")
	defer crossdock(t, root, "rm", "-f", "ex")

	res, err := crossdock(t, root, "exec", "ex", "nosuchcmd", "arg")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 127), res.stderr)
	assert.Check(t, is.Contains(res.stderr, "nosuchcmd"))
	assert.Check(t, is.Contains(res.stderr, "executable file not found"))

	mustRun(t, root, "exec", "ex", "/probe", "write", "/maps/data", "x")
	res, err = crossdock(t, root, "exec", "ex", "/maps/data")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 126), res.stderr)
	assert.Check(t, is.Contains(res.stderr, "/maps/data"))

	res, err = crossdock(t, root, "exec", "ex", "/probe", "exit", "5")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 5), res.stderr)
	mustRun(t, root, "rm", "-f", "ex")
}

// exec -i from a terminal (the caller's controlling terminal as stdin, no
// -t) runs and returns the command's code: runc must not be left in a
// background process group, where touching the terminal stops it.
func TestExecInteractiveOnTerminal(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	mustRun(t, root, "run", "-d", "--name", "ex", "robot/probe:amd64", "sleep")
	defer crossdock(t, root, "rm", "-f", "ex")

	pty, slavePath, err := console.NewPty()
	assert.NilError(t, err)
	defer pty.Close()
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	assert.NilError(t, err)
	go io.Copy(io.Discard, pty)
	cmd := exec.Command(staticBuild.bin, "exec", "-i", "ex", "/probe", "exit", "3")
	cmd.Env = append(os.Environ(), "CROSSDOCK_ROOT="+root)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	assert.NilError(t, cmd.Start())
	slave.Close()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatal("exec -i on a terminal hung")
	}
	assert.Check(t, is.Equal(cmd.ProcessState.ExitCode(), 3))
	mustRun(t, root, "rm", "-f", "ex")
}
