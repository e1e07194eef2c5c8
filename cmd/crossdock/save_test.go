package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/crossdock/crossdock/internal/testhost"
)

// startDockerd runs Debian's dockerd on a private socket with its data in
// a temp folder, no bridge and no iptables rules, and returns the -H value
// for the docker client.
func startDockerd(t *testing.T) string {
	t.Helper()
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "dockerd", "docker.io")
	testhost.RequireProgram(t, "docker", "docker.io")
	dir, err := os.MkdirTemp("", "crossdock-dockerd-")
	assert.NilError(t, err)
	cfg := filepath.Join(dir, "daemon.json")
	assert.NilError(t, os.WriteFile(cfg, []byte("{}"), 0o644))
	host := "unix://" + filepath.Join(dir, "docker.sock")
	cmd := exec.Command("dockerd", "--config-file", cfg, "--host", host,
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"), "--bridge", "none",
		"--iptables=false", "--ip6tables=false", "--ip-masq=false", "--storage-driver", "vfs")
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	assert.NilError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	assert.NilError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		os.RemoveAll(dir)
	})

	ready := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if exec.Command("docker", "-H", host, "version").Run() == nil {
			ready = true
			break
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !ready {
		log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
		t.Skipf("dockerd did not start on %s: %s", host, tail(string(log), 800))
	}
	return host
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// docker load (Debian's docker.io, 20.10) reads what crossdock save
// writes: the chosen platform tagged, the other platform loaded by ID.
func TestSaveDockerLoad(t *testing.T) {
	host := startDockerd(t)
	root, _ := storeWithIndex(t, "127.0.0.1:5115/owner/robot:v1")
	tar := filepath.Join(t.TempDir(), "robot.tar")
	code, _, errOut := runCLI(t, "save", "-o", tar, "--platform", "linux/arm/v7", "127.0.0.1:5115/owner/robot:v1", "--root", root)
	assert.Equal(t, code, 0, errOut)

	res := icmd.RunCmd(icmd.Command("docker", "-H", host, "load", "-i", tar))
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stdout(), "Loaded image: 127.0.0.1:5115/owner/robot:v1"))
	// Docker 20.10 prints the IDs of untagged images only when the last
	// entry is untagged, so count the images instead.
	res = icmd.RunCmd(icmd.Command("docker", "-H", host, "image", "ls", "-a", "-q", "--no-trunc"))
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Len(strings.Fields(res.Stdout()), 2), "the other platform loads untagged")
	var arches []string
	for _, id := range strings.Fields(res.Stdout()) {
		out := icmd.RunCmd(icmd.Command("docker", "-H", host, "image", "inspect", "--format", "{{.Architecture}}", id))
		out.Assert(t, icmd.Success)
		arches = append(arches, strings.TrimSpace(out.Stdout()))
	}
	sort.Strings(arches)
	assert.Check(t, is.DeepEqual(arches, []string{"amd64", "arm"}))

	res = icmd.RunCmd(icmd.Command("docker", "-H", host, "image", "inspect",
		"--format", "{{.Os}}/{{.Architecture}}/{{.Variant}}", "127.0.0.1:5115/owner/robot:v1"))
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Equal(strings.TrimSpace(res.Stdout()), "linux/arm/v7"))
}
