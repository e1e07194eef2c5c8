package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/crossdock/crossdock/internal/testhost"
)

// buildDockerd is a Docker daemon of the test's own: its containerd, data,
// exec root and socket all live in a temp folder, with no bridge and no
// iptables rules, so nothing outside the folder is touched.
type buildDockerd struct {
	dir  string
	cli  string
	sock string
}

func startBuildDockerd(t *testing.T) *buildDockerd {
	t.Helper()
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "dockerd", "docker.io")
	testhost.RequireProgram(t, "containerd", "containerd")
	cli := "/usr/bin/docker" // Debian's docker.io client, matching its daemon
	if _, err := os.Stat(cli); err != nil {
		cli = testhost.RequireProgram(t, "docker", "docker.io")
	}
	dir, err := os.MkdirTemp("", "cd-dockerd-") // short: socket paths are limited
	assert.NilError(t, err)
	d := &buildDockerd{dir: dir, cli: cli, sock: filepath.Join(dir, "docker.sock")}

	ctrd := filepath.Join(dir, "containerd.sock")
	conf := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\n[grpc]\n  address = %q\n"+
		"[ttrpc]\n  address = %q\n[debug]\n  address = \"\"\n[metrics]\n  address = \"\"\n",
		filepath.Join(dir, "containerd-root"), filepath.Join(dir, "containerd-state"), ctrd, ctrd+".ttrpc")
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "containerd.toml"), []byte(conf), 0o644))
	c := d.daemon(t, "containerd.log", "containerd", "--config", filepath.Join(dir, "containerd.toml"))
	poll.WaitOn(t, socketExists(ctrd), poll.WithTimeout(30*time.Second))

	dd := d.daemon(t, "dockerd.log", "dockerd", "--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"), "--pidfile", filepath.Join(dir, "docker.pid"),
		"--host", "unix://"+d.sock, "--containerd", ctrd, "--bridge=none", "--iptables=false",
		"--ip6tables=false", "--ip-masq=false")
	t.Cleanup(func() {
		stopDaemon(dd)
		stopDaemon(c)
		d.unmountAll()
		os.RemoveAll(dir)
	})
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if _, err := d.docker("version"); err != nil {
			return poll.Continue("dockerd not up: %v", err)
		}
		return poll.Success()
	}, poll.WithTimeout(60*time.Second))
	return d
}

func (d *buildDockerd) daemon(t *testing.T, log string, name string, args ...string) *exec.Cmd {
	f, err := os.Create(filepath.Join(d.dir, log))
	assert.NilError(t, err)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Skipf("%s cannot start on this machine: %v", name, err)
	}
	return cmd
}

func stopDaemon(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// unmountAll lazily unmounts what the daemons left mounted in the folder.
func (d *buildDockerd) unmountAll() {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	lines := strings.Split(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) > 4 && strings.HasPrefix(f[4], d.dir+"/") {
			syscall.Unmount(f[4], syscall.MNT_DETACH)
		}
	}
}

func socketExists(path string) poll.Check {
	return func(poll.LogT) poll.Result {
		if _, err := os.Stat(path); err != nil {
			return poll.Continue("%s not there", path)
		}
		return poll.Success()
	}
}

func (d *buildDockerd) docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.cli, append([]string{"--host", "unix://" + d.sock}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.dir, "cli"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %v: %w: %s", args, err, out)
	}
	return string(out), nil
}

// The docker tarballs crossdock writes load into Docker and run, the arm/v7
// one under qemu-user through binfmt_misc.
func TestDockerLoadsAndRunsTheBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dockerd")
	}
	d := startBuildDockerd(t)
	spec := copyExample(t, "hello-go")
	out := t.TempDir()
	for _, p := range []struct{ platform, tag string }{
		{"linux/amd64", "test/hello:amd64"}, {"linux/arm/v7", "test/hello:armv7"},
	} {
		tar := filepath.Join(out, strings.ReplaceAll(p.tag, "/", "_")+".tar")
		code, _, stderr := runCLI(t, "build", "-f", spec, "--root", t.TempDir(), "--locked",
			"--cache-dir", buildCache(t), "--platform", p.platform, "--tag", p.tag,
			"--output", "docker:"+tar)
		assert.Equal(t, code, 0, stderr)
		res, err := d.docker("load", "-i", tar)
		assert.NilError(t, err)
		assert.Check(t, is.Contains(res, "Loaded image: "+p.tag))
	}

	arch, err := d.docker("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}/{{.Variant}}", "test/hello:armv7")
	assert.NilError(t, err)
	assert.Equal(t, strings.TrimSpace(arch), "linux/arm/v7")

	res, err := d.docker("run", "--rm", "--network", "none", "test/hello:amd64", "docker")
	assert.NilError(t, err)
	assert.Equal(t, res, "hello, docker, from linux/amd64\n")

	testhost.NeedHandler(t, "arm")
	res, err = d.docker("run", "--rm", "--network", "none", "--platform", "linux/arm/v7",
		"test/hello:armv7", "docker")
	assert.NilError(t, err)
	assert.Equal(t, res, "hello, docker, from linux/arm\n")
	res, err = d.docker("run", "--rm", "--network", "none", "--platform", "linux/arm/v7",
		"--entrypoint", "/bin/sh", "test/hello:armv7", "-c", "echo from gosh; ls /usr/bin")
	assert.NilError(t, err)
	assert.Equal(t, res, "from gosh\nhello-go\n")
}
