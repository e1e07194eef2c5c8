package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/testhost"
	"github.com/crossdock/crossdock/runner"
)

// fixtureDir holds what the tests build once per test binary: the static
// crossdock binary (each container's init and shim) and the stackapp
// image's one layer per platform.
var (
	fixtureDir  string
	fixtureOnce sync.Once
	fixtureErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// goBuild cross-compiles pkg (a path relative to this package) to out.
func goBuild(out, pkg, goarch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOARM=7")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %v\n%s", pkg, goarch, err, b)
	}
	return nil
}

func buildFixtures(t *testing.T) string {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "stack-fixtures-")
		if fixtureErr != nil {
			return
		}
		fixtureErr = goBuild(filepath.Join(fixtureDir, "crossdock"), "./testdata/helper", runtime.GOARCH)
		for _, arch := range []string{"amd64", "arm"} {
			layer := filepath.Join(fixtureDir, "layer-"+arch)
			if fixtureErr == nil {
				fixtureErr = goBuild(filepath.Join(layer, "app"), "./testdata/stackapp", arch)
			}
			if fixtureErr == nil {
				fixtureErr = writeEtc(layer)
			}
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureDir
}

// writeEtc gives the layer the /tmp, /etc/passwd and /etc/group an image
// has.
func writeEtc(layer string) error {
	if err := os.MkdirAll(filepath.Join(layer, "etc"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(layer, "tmp"), 0o1777); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(layer, "etc/passwd"), []byte("root:x:0:0:root:/:/app\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(layer, "etc/group"), []byte("root:x:0:\n"), 0o644)
}

// testImages serves the image "stackapp": one layer holding /app, built
// for the platform asked.
func testImages(dir string) runner.ImageSource {
	return runner.ImageFunc(func(ctx context.Context, ref, platform string) (runner.Image, error) {
		if ref != "stackapp" {
			return runner.Image{}, fmt.Errorf("test image source: no image %q", ref)
		}
		arch, p := "amd64", "linux/amd64"
		if strings.HasPrefix(platform, "linux/arm") {
			arch, p = "arm", "linux/arm/v7"
		}
		return runner.Image{Platform: p, Layers: []string{filepath.Join(dir, "layer-"+arch)},
			Config: v1.Config{Entrypoint: []string{"/app"}, Env: []string{"PATH=/"}}}, nil
	})
}

// newStacks returns Stacks on a runtime rooted in a fresh folder, with the
// stackapp image. It needs root and runc.
func newStacks(t *testing.T) (*Stacks, *runner.Runtime, string) {
	t.Helper()
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "runc", "runc")
	dir := buildFixtures(t)
	root := t.TempDir()
	rt, err := runner.New(root, runner.WithHelperBinary(filepath.Join(dir, "crossdock")),
		runner.WithImages(testImages(dir)))
	if err != nil {
		t.Fatal(err)
	}
	return New(rt, root), rt, root
}

// needPlatform makes sure the platform can run here: arm/v7 needs the
// qemu-arm handler, held for the test.
func needPlatform(t *testing.T, platform string) {
	t.Helper()
	if strings.HasPrefix(platform, "linux/arm") {
		testhost.NeedHandler(t, "arm")
	}
}

func writeStack(t *testing.T, content string) *File {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
