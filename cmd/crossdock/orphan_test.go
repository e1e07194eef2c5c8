package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// startRun starts `crossdock run ARGS` and returns it once the container
// printed its first line.
func startRun(t *testing.T, root string, args ...string) (*exec.Cmd, *os.File) {
	t.Helper()
	cmd := exec.Command(staticBuild.bin, append([]string{"run"}, args...)...)
	cmd.Env = append(os.Environ(), "CROSSDOCK_ROOT="+root)
	rd, wr, err := os.Pipe()
	assert.NilError(t, err)
	cmd.Stdout = wr
	assert.NilError(t, cmd.Start())
	wr.Close()
	line, err := bufio.NewReader(rd).ReadString('\n')
	assert.NilError(t, err)
	assert.Equal(t, line, "sleeping\n")
	return cmd, rd
}

// runcList is what runc knows of the root's containers.
func runcList(t *testing.T, root string) string {
	out, err := exec.Command("runc", "--root", filepath.Join(root, "runc"), "list", "-q").CombinedOutput()
	assert.NilError(t, err, "%s", out)
	return string(out)
}

// A foreground run whose crossdock process dies (SIGKILL, or a closed
// stdout) leaves the container in the care of its shim: ps, stop and --rm
// work as before.
func TestForegroundClientDies(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")

	client, _ := startRun(t, root, "--rm", "--name", "k9c", "robot/probe:amd64", "sleep")
	assert.NilError(t, client.Process.Kill())
	client.Wait()
	res := mustRun(t, root, "ps")
	assert.Check(t, is.Contains(res.stdout, "k9c"))
	assert.Check(t, is.Contains(res.stdout, "Up "))
	assert.Check(t, !strings.Contains(res.stdout, "orphaned"))
	mustRun(t, root, "stop", "-t", "5", "k9c")
	waitFor(t, func() bool { return mustRun(t, root, "ps", "-a", "-q").stdout == "" })
	assert.Check(t, is.Equal(runcList(t, root), ""))

	// `run ... | head -1`: the reader goes away; the container and the
	// run go on until the container ends.
	client, rd := startRun(t, root, "--rm", "--name", "head1", "robot/probe:amd64", "sleep")
	rd.Close()
	assert.Check(t, is.Contains(mustRun(t, root, "ps").stdout, "head1"))
	mustRun(t, root, "stop", "-t", "5", "head1")
	client.Wait()
	assert.Check(t, is.Equal(client.ProcessState.ExitCode(), 143))
}

// A container whose shim died is shown as orphaned, not as exited; stop,
// rm and --rm work through runc.
func TestShimDies(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")

	shimOf := func(name string) int {
		var st struct{ ShimPid int }
		assert.NilError(t, json.Unmarshal([]byte(mustRun(t, root, "inspect", name).stdout), &st))
		assert.Assert(t, st.ShimPid > 0)
		return st.ShimPid
	}
	mustRun(t, root, "run", "-d", "--name", "orph", "robot/probe:amd64", "sleep")
	assert.NilError(t, syscall.Kill(shimOf("orph"), syscall.SIGKILL))
	waitFor(t, func() bool { return strings.Contains(mustRun(t, root, "ps").stdout, "Up (orphaned)") })
	res, _ := crossdock(t, root, "rm", "orph")
	assert.Check(t, is.Equal(res.code, 2))
	assert.Check(t, is.Contains(res.stderr, "container orph is running"))
	res, _ = crossdock(t, root, "start", "orph")
	assert.Check(t, is.Equal(res.code, 0), res.stderr) // running already: no error, as Docker
	mustRun(t, root, "stop", "-t", "5", "orph")
	res = mustRun(t, root, "ps", "-a")
	assert.Check(t, is.Contains(res.stdout, "Exited (-1) -"))
	assert.Check(t, !strings.Contains(res.stdout, "days ago"))
	mustRun(t, root, "rm", "orph")

	// The shim and its runc die: the container runs on, orphaned; once
	// stopped, it starts again (runc's stale record is replaced).
	mustRun(t, root, "run", "-d", "--name", "orph2", "robot/probe:amd64", "sleep")
	shim := shimOf("orph2")
	runc := runcOf(t, shim)
	assert.NilError(t, syscall.Kill(shim, syscall.SIGKILL))
	assert.NilError(t, syscall.Kill(runc, syscall.SIGKILL))
	waitFor(t, func() bool { return strings.Contains(mustRun(t, root, "ps").stdout, "Up (orphaned)") })
	res = mustRun(t, root, "exec", "orph2", "/probe", "echo", "still")
	assert.Check(t, is.Equal(res.stdout, "[still]\n"))
	mustRun(t, root, "restart", "-t", "5", "orph2")
	res = mustRun(t, root, "ps")
	assert.Check(t, is.Contains(res.stdout, "orph2"))
	assert.Check(t, !strings.Contains(res.stdout, "orphaned"), res.stdout)
	mustRun(t, root, "rm", "-f", "orph2")

	// --rm is applied by the next command that sees it ended.
	mustRun(t, root, "run", "-d", "--rm", "--name", "gc", "robot/probe:amd64", "sleep")
	assert.NilError(t, syscall.Kill(shimOf("gc"), syscall.SIGKILL))
	mustRun(t, root, "kill", "gc")
	waitFor(t, func() bool { return mustRun(t, root, "ps", "-a", "-q").stdout == "" })
	assert.Check(t, is.Equal(runcList(t, root), ""))
	mounts, err := os.ReadFile("/proc/self/mounts")
	assert.NilError(t, err)
	assert.Check(t, !strings.Contains(string(mounts), root), "mounts left under %s", root)
}

// runcOf finds the `runc run` that the shim with pid shim started.
func runcOf(t *testing.T, shim int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	assert.NilError(t, err)
	for _, e := range ents {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		if fields[1] == strconv.Itoa(shim) && strings.Contains(s, "(runc") {
			pid, _ := strconv.Atoi(e.Name())
			return pid
		}
	}
	t.Fatalf("no runc under shim %d", shim)
	return 0
}
