package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// Bad input to run is refused before runc sees it: exit 2, naming the
// value, nothing written to the host, no container left.
func TestRunRefusesBadInput(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	hostDir := t.TempDir()
	hostFile := filepath.Join(t.TempDir(), "file")
	assert.NilError(t, os.WriteFile(hostFile, []byte("x"), 0o644))
	envNul := filepath.Join(t.TempDir(), "nul.env")
	assert.NilError(t, os.WriteFile(envNul, []byte("A=1\nB=x\x00y\n"), 0o644))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"volume on /", []string{"-v", hostDir + ":/"}, hostDir + ":/"},
		{"volume on /proc", []string{"-v", hostDir + ":/proc"}, "/proc"},
		{"volume under /sys", []string{"-v", hostDir + ":/sys/kernel"}, "/sys/kernel"},
		{"volume under /dev", []string{"-v", hostDir + ":/dev/x"}, "/dev/x"},
		{"file onto an image folder", []string{"-v", hostFile + ":/maps"}, hostFile + ":/maps"},
		{"folder onto an image file", []string{"-v", hostDir + ":/probe"}, hostDir + ":/probe"},
		{"two mounts on one target", []string{"-v", hostDir + ":/data", "-v", "vol:/data/"}, "/data"},
		{"env without name", []string{"-e", "=x"}, `"=x"`},
		{"empty env", []string{"-e", ""}, `-e ""`},
		{"env file with NUL", []string{"--env-file", envNul}, envNul + ":2"},
		{"workdir is a file", []string{"-w", "/probe"}, "/probe"},
		{"hostname too long", []string{"--hostname", strings.Repeat("h", 65)}, strings.Repeat("h", 65)},
		{"hostname characters", []string{"--hostname", "bad host!"}, `"bad host!"`},
		{"netns missing", []string{"--network", "netns:/nonexist"}, "netns:/nonexist"},
		{"same host port twice", []string{"-p", fmt.Sprintf("127.0.0.1:%d:80", port),
			"-p", fmt.Sprintf("%d:81", port)}, fmt.Sprint(port)},
		{"bad IP", []string{"-p", "1.2.3.999:18090:80"}, "1.2.3.999"},
		{"bad add-host", []string{"--add-host", "db:notanip"}, "notanip"},
		{"name too long", []string{"--name", strings.Repeat("n", 129)}, strings.Repeat("n", 129)},
		{"name characters", []string{"--name", "-bad/name"}, "-bad/name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tc.args...), "robot/probe:amd64", "exit", "0")
			res, err := crossdock(t, root, args...)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(res.code, 2), "stderr: %s", res.stderr)
			assert.Check(t, is.Contains(res.stderr, tc.want))
			assert.Check(t, !strings.Contains(res.stderr, "runc"), "stderr: %s", res.stderr)
		})
	}
	ents, err := os.ReadDir(hostDir)
	assert.NilError(t, err)
	assert.Check(t, is.Len(ents, 0), "written to the host folder")
	assert.Check(t, is.Equal(mustRun(t, root, "ps", "-a", "-q").stdout, ""))
}

// An image in the store without the platform asked for fails locally,
// listing those on offer; a crossdock.local name is never pulled.
func TestRunMissingPlatformNoPull(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	mustRun(t, root, "tag", "robot/probe:amd64", "crossdock.local/examples/probe:latest")
	for _, ref := range []string{"robot/probe:amd64", "crossdock.local/examples/probe:latest"} {
		res, err := crossdock(t, root, "run", "--rm", "--platform", "linux/arm64", ref, "arch")
		assert.NilError(t, err)
		assert.Check(t, is.Equal(res.code, 2), res.stderr)
		assert.Check(t, is.Contains(res.stderr, "linux/amd64"), "the platform on offer")
		assert.Check(t, !strings.Contains(res.stderr, "pull"), res.stderr)
	}
	res, err := crossdock(t, root, "run", "--rm", "crossdock.local/examples/nothere:latest")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 2), res.stderr)
	assert.Check(t, is.Contains(res.stderr, "local only"))
	assert.Check(t, !strings.Contains(res.stderr, "crossdock.local/v2"), res.stderr)
}
