package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/internal/flock"
	"github.com/crossdock/crossdock/internal/testhost"
	"github.com/crossdock/crossdock/internal/testimage"
)

// The container commands run as the real, static crossdock binary: it is
// the containers' init and their shims, and detached containers outlive
// the command that started them.
var staticBuild struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// crossdockBinary builds crossdock (CGO_ENABLED=0) once per test binary,
// with the probe test program for amd64 and riscv64 beside it.
func crossdockBinary(t *testing.T) string {
	t.Helper()
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "runc", "runc")
	b := &staticBuild
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "crossdock-cli-"); b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "crossdock")
		for _, job := range [][3]string{{b.bin, ".", "amd64"},
			{filepath.Join(b.dir, "probe-amd64"), "../../runner/testdata/probe", "amd64"},
			{filepath.Join(b.dir, "probe-riscv64"), "../../runner/testdata/probe", "riscv64"}} {
			cmd := exec.Command("go", "build", "-o", job[0], job[1])
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+job[2])
			if out, err := cmd.CombinedOutput(); err != nil {
				b.err = fmt.Errorf("go build %s: %v\n%s", job[1], err, out)
				return
			}
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// cliRoot is a crossdock root for one test, cleaned up with whatever
// containers the test left.
func cliRoot(t *testing.T) string {
	root := t.TempDir()
	t.Cleanup(func() {
		out, _ := crossdock(t, root, "ps", "-a", "-q")
		for _, id := range strings.Fields(out.stdout) {
			t.Errorf("container %s left behind", id)
			crossdock(t, root, "rm", "-f", id)
		}
	})
	return root
}

type result struct {
	code           int
	stdout, stderr string
}

// crossdock runs the binary with CROSSDOCK_ROOT=root.
func crossdock(t *testing.T, root string, args ...string) (result, error) {
	t.Helper()
	cmd := exec.Command(staticBuild.bin, args...)
	cmd.Env = append(os.Environ(), "CROSSDOCK_ROOT="+root)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String()}
	if _, ok := err.(*exec.ExitError); ok {
		err = nil
	}
	return res, err
}

func mustRun(t *testing.T, root string, args ...string) result {
	t.Helper()
	res, err := crossdock(t, root, args...)
	assert.NilError(t, err)
	assert.Equal(t, res.code, 0, "crossdock %v: %s", args, res.stderr)
	return res
}

// The lecture's line: an ARM image runs on this x86 machine.
func TestRunArmBusybox(t *testing.T) {
	crossdockBinary(t)
	testhost.NeedHandler(t, "linux/arm/v7")
	root := cliRoot(t)
	dir := t.TempDir()
	deb := fetchDeb(t, "busybox-static", "armhf")
	out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput()
	assert.NilError(t, err, "%s", out)
	for _, l := range []string{"sh", "uname"} {
		assert.NilError(t, os.Symlink("busybox", filepath.Join(dir, "bin", l)))
	}
	storeDir(t, root, "robot/busybox:armhf", v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, dir, nil)

	res := mustRun(t, root, "run", "--rm", "--platform", "linux/arm/v7", "robot/busybox:armhf", "uname", "-m")
	assert.Check(t, is.Equal(res.stdout, "armv7l\n"))
	res = mustRun(t, root, "run", "--rm", "--platform", "linux/arm/v7", "-e", "WHO=robot",
		"--entrypoint", "/bin/sh", "robot/busybox:armhf", "-c", "echo $WHO on $(uname -m)")
	assert.Check(t, is.Equal(res.stdout, "robot on armv7l\n"))
}

// run passes the container's exit code through; a SIGTERM to crossdock
// reaches the container (case R1 through the CLI).
func TestRunExitCodesAndSignals(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")

	res, err := crossdock(t, root, "run", "--rm", "robot/probe:amd64", "exit", "3")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 3), res.stderr)
	assert.Check(t, is.Equal(res.stderr, ""))

	cmd := exec.Command(staticBuild.bin, "run", "--rm", "robot/probe:amd64", "sleep")
	cmd.Env = append(os.Environ(), "CROSSDOCK_ROOT="+root)
	stdout, err := cmd.StdoutPipe()
	assert.NilError(t, err)
	assert.NilError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	assert.NilError(t, err)
	assert.Check(t, is.Equal(line, "sleeping\n"))
	assert.NilError(t, cmd.Process.Signal(syscall.SIGTERM))
	cmd.Wait()
	assert.Check(t, is.Equal(cmd.ProcessState.ExitCode(), 143))
}

// -d, ps, logs, stop, rm and inspect behave as Docker's do; -p reaches the
// server on 127.0.0.1.
func TestDetachedCLI(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	res := mustRun(t, root, "run", "-d", "--name", "web", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port),
		"robot/probe:amd64", "serve", "8080")
	id := strings.TrimSpace(res.stdout)
	assert.Check(t, is.Len(id, 64))
	waitFor(t, func() bool { return strings.Contains(mustRun(t, root, "logs", "web").stdout, "serving") })

	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	assert.NilError(t, err)
	c.Write([]byte("hi"))
	b, _ := io.ReadAll(c)
	c.Close()
	assert.Check(t, is.Equal(string(b), "pong hi"))

	res = mustRun(t, root, "ps")
	assert.Check(t, is.Contains(res.stdout, "web"))
	assert.Check(t, is.Contains(res.stdout, "Up "))
	assert.Check(t, is.Contains(res.stdout, fmt.Sprintf("127.0.0.1:%d->8080/tcp", port)))
	res, _ = crossdock(t, root, "rm", "web")
	assert.Check(t, is.Equal(res.code, 2))
	assert.Check(t, is.Contains(res.stderr, "container web is running"))
	res = mustRun(t, root, "exec", "-e", "X=1", "web", "/probe", "env", "X")
	assert.Check(t, is.Equal(res.stdout, "1\n"))
	res, _ = crossdock(t, root, "exec", "web", "/probe", "exit", "4")
	assert.Check(t, is.Equal(res.code, 4))
	res = mustRun(t, root, "inspect", "web")
	assert.Check(t, is.Contains(res.stdout, `"id": "`+id+`"`))

	mustRun(t, root, "stop", "-t", "5", "web")
	res = mustRun(t, root, "ps", "-a")
	assert.Check(t, is.Contains(res.stdout, "Exited (143)"))
	mustRun(t, root, "restart", "web")
	assert.Check(t, is.Contains(mustRun(t, root, "ps").stdout, "web"))
	mustRun(t, root, "kill", "-s", "INT", "web")
	waitFor(t, func() bool { return strings.Contains(mustRun(t, root, "ps", "-a").stdout, "Exited (130)") })
	mustRun(t, root, "rm", "web")
	assert.Check(t, is.Equal(mustRun(t, root, "ps", "-a", "-q").stdout, ""))
}

// Named volumes through the CLI, and the input errors that name their
// input.
func TestVolumesAndInputErrorsCLI(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")

	mustRun(t, root, "volume", "create", "maps")
	mustRun(t, root, "run", "--rm", "-v", "maps:/maps", "robot/probe:amd64", "write", "/maps/a", "x")
	res := mustRun(t, root, "run", "--rm", "-v", "maps:/maps:ro", "robot/probe:amd64", "cat", "/maps/a")
	assert.Check(t, is.Equal(res.stdout, "x"))
	assert.Check(t, is.Contains(mustRun(t, root, "volume", "ls").stdout, "maps"))
	mustRun(t, root, "volume", "rm", "maps")
	assert.Check(t, is.Equal(mustRun(t, root, "volume", "ls", "-q").stdout, ""))

	envFile := filepath.Join(t.TempDir(), "robot.env")
	assert.NilError(t, os.WriteFile(envFile, []byte("# comment\nA=1\nnot a pair\n"), 0o644))
	res, _ = crossdock(t, root, "run", "--rm", "--env-file", envFile, "robot/probe:amd64", "env", "A")
	assert.Check(t, is.Equal(res.code, 2))
	assert.Check(t, is.Contains(res.stderr, envFile+":3"))
	assert.NilError(t, os.WriteFile(envFile, []byte("# comment\nA=1\n\nB=two words\n"), 0o644))
	res = mustRun(t, root, "run", "--rm", "--env-file", envFile, "robot/probe:amd64", "env", "B")
	assert.Check(t, is.Equal(res.stdout, "two words\n"))

	res, _ = crossdock(t, root, "run", "--rm", "-p", "80:80:80:80", "robot/probe:amd64")
	assert.Check(t, is.Equal(res.code, 2))
	assert.Check(t, is.Contains(res.stderr, `"80:80:80:80"`))
	res, _ = crossdock(t, root, "logs", "nosuch")
	assert.Check(t, is.Equal(res.code, 2))
	assert.Check(t, is.Contains(res.stderr, "no such container: nosuch"))
}

// A platform the host cannot run fails before the start with exit code 3,
// binfmt's reason and its fix.
func TestRunWithoutHandler(t *testing.T) {
	crossdockBinary(t)
	testhost.BinfmtShared(t)
	if _, err := binfmt.Check("linux/riscv64"); err == nil {
		t.Skip("a riscv64 handler is registered here; this test needs a platform that cannot run")
	}
	root := cliRoot(t)
	storeProbe(t, root, "riscv64")
	res, err := crossdock(t, root, "run", "--rm", "--platform", "linux/riscv64", "robot/probe:riscv64", "arch")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 3), res.stderr)
	assert.Check(t, is.Contains(res.stderr, "crossdock binfmt install --arch riscv64"))
	assert.Check(t, is.Equal(mustRun(t, root, "ps", "-a", "-q").stdout, ""), "--rm removed it")
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}

// storeProbe stores the probe for linux/arch as robot/probe:arch, with
// /probe as its entrypoint.
func storeProbe(t *testing.T, root, arch string) {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(staticBuild.dir, "probe-"+arch))
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "probe"), b, 0o755))
	assert.NilError(t, os.Mkdir(filepath.Join(dir, "maps"), 0o755))
	storeDir(t, root, "robot/probe:"+arch, v1.Platform{OS: "linux", Architecture: arch}, dir, []string{"/probe"})
}

// storeDir writes dir as a one-layer image for p into the store at root.
func storeDir(t *testing.T, root, ref string, p v1.Platform, dir string, entrypoint []string) {
	t.Helper()
	testimage.Store(t, root, ref, p, dir, v1.Config{Env: []string{"PATH=/bin"}, Entrypoint: entrypoint})
}

// fetchDeb downloads a Debian package with apt-get into a cache shared
// with the runner's tests (under os.TempDir, keyed by name_version_arch).
func fetchDeb(t *testing.T, pkg, arch string) string {
	t.Helper()
	testhost.RequireProgram(t, "apt-get", "apt")
	testhost.RequireProgram(t, "dpkg-deb", "dpkg")
	cache := filepath.Join(os.TempDir(), "crossdock-test-debs")
	assert.NilError(t, os.MkdirAll(cache, 0o755))
	l, err := flock.Exclusive(context.Background(), filepath.Join(cache, ".lock"))
	assert.NilError(t, err)
	defer l.Unlock()
	found, _ := filepath.Glob(filepath.Join(cache, pkg+"_*_"+arch+".deb"))
	if len(found) == 0 {
		cmd := exec.Command("apt-get", "download", pkg+":"+arch)
		cmd.Dir = cache
		out, err := cmd.CombinedOutput()
		assert.NilError(t, err, "apt-get download: %s", out)
		found, _ = filepath.Glob(filepath.Join(cache, pkg+"_*_"+arch+".deb"))
	}
	assert.Assert(t, is.Len(found, 1))
	return found[0]
}
