package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/internal/testhost"
)

// fixtures are built once per test binary in TestMain.
var fixtures struct {
	dir       string            // temporary folder holding all of them
	crossdock string            // static crossdock binary: the init and shim
	probe     map[string]string // platform -> static probe binary
	err       error
}

// testPlatforms are the platforms every container test runs on.
var testPlatforms = []string{"linux/amd64", "linux/arm/v7"}

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "runner-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		fixtures.dir = dir
		fixtures.err = buildFixtures(dir)
		return m.Run()
	}()
	os.Exit(code)
}

func buildFixtures(dir string) error {
	fixtures.crossdock = filepath.Join(dir, "helper")
	if err := goBuild(fixtures.crossdock, "./testdata/helper", "amd64", ""); err != nil {
		return err
	}
	fixtures.probe = map[string]string{}
	for _, p := range []struct{ platform, arch, arm string }{
		{"linux/amd64", "amd64", ""}, {"linux/arm/v7", "arm", "7"},
	} {
		out := filepath.Join(dir, "probe-"+p.arch)
		if err := goBuild(out, "./testdata/probe", p.arch, p.arm); err != nil {
			return err
		}
		fixtures.probe[p.platform] = out
	}
	return nil
}

// goBuild builds a static binary (CGO_ENABLED=0) for linux/arch.
func goBuild(out, pkg, arch, arm string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOARM="+arm)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %v\n%s", pkg, arch, err, b)
	}
	return nil
}

// needContainers skips unless the host can run containers (root, runc),
// and fails if the fixtures could not be built.
func needContainers(t testing.TB) {
	t.Helper()
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "runc", "runc")
	if fixtures.err != nil {
		t.Fatal(fixtures.err)
	}
}

// probeRootfs makes a one-layer rootfs holding the probe for platform at
// /probe, with /etc/passwd and /etc/group naming a user "robot" (1000, in
// groups 1000 and "dialout" 20), and returns it as an Image.
func probeRootfs(t testing.TB, platform string) Image {
	t.Helper()
	root := filepath.Join(t.TempDir(), "layer")
	files := map[string]string{
		"etc/passwd":     "root:x:0:0:root:/root:/probe\nrobot:x:1000:1000::/home/robot:/probe\n",
		"etc/group":      "root:x:0:\ndialout:x:20:robot\nrobot:x:1000:\n",
		"data/seed.txt":  "from the image\n",
		"home/robot/.rc": "",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"tmp", "proc", "sys", "dev", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	b, err := os.ReadFile(fixtures.probe[platform])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "probe"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	img := Image{Platform: platform, Layers: []string{root}}
	img.Config.Entrypoint = []string{"/probe"}
	img.Config.Env = []string{"PATH=/usr/bin:/bin", "FROM_IMAGE=yes"}
	return img
}

// newTestRuntime returns a Runtime in a temporary root whose init is the
// fixture crossdock binary, and checks at the end of the test that nothing
// is left behind: no container folders, mounts, runc containers or shims.
func newTestRuntime(t testing.TB, opts ...Option) *Runtime {
	t.Helper()
	root := t.TempDir()
	opts = append([]Option{WithHelperBinary(fixtures.crossdock)}, opts...)
	r, err := New(root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkNothingLeft(t, r) })
	return r
}

func checkNothingLeft(t testing.TB, r *Runtime) {
	t.Helper()
	list, _ := r.List(context.Background(), true)
	for _, st := range list {
		t.Errorf("container %s (%s) left behind", st.Name, st.Status)
		r.Remove(context.Background(), st.ID, true)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), r.root) {
		t.Errorf("mounts left under %s", r.root)
	}
	out, err := exec.Command(r.runc, "--root", r.runcRoot, "list", "-q").Output()
	if err != nil {
		t.Errorf("runc list: %v", err)
	} else if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("runc containers left: %s", s)
	}
	if shims := findProcs(shimName + " " + r.root); len(shims) > 0 {
		t.Errorf("shims left: %v", shims)
	}
}

// findProcs returns the pids whose command line starts with prefix.
func findProcs(prefix string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.HasPrefix(strings.ReplaceAll(string(b), "\x00", " "), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// A dynamically linked helper cannot be a container's init: the start
// fails with exit code 3 saying how to build crossdock, and nothing is
// left running.
func TestDynamicHelperRefused(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t, WithHelperBinary("/bin/true")) // dynamic on Debian
	st, err := r.CreateFrom(context.Background(), Spec{Cmd: []string{"arch"}, AutoRemove: true},
		probeRootfs(t, "linux/amd64"))
	assert.NilError(t, err)
	_, err = r.RunCreated(context.Background(), st.ID, Stdio{})
	assert.Check(t, is.Equal(errdefs.Code(err), 3))
	assert.Check(t, is.ErrorContains(err, "CGO_ENABLED=0"))
}
