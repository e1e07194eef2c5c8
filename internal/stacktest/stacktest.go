// Package stacktest builds what the stack and suite tests run: a static
// helper binary (the runner's init and shim) and the image "stackapp", a
// small static Go program (see stackapp/main.go) in one layer, for
// linux/amd64 and linux/arm/v7, cross-compiled once per test binary.
package stacktest

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

// Image is the reference the fixture's image source answers to.
const Image = "stackapp"

var (
	dir     string
	once    sync.Once
	errOnce error
)

// Cleanup removes the built fixtures; call it from TestMain after m.Run.
func Cleanup() {
	if dir != "" {
		os.RemoveAll(dir)
	}
}

// moduleDir is this package's folder, found from the source file's path.
func moduleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// goBuild cross-compiles pkg to out, statically.
func goBuild(out, pkg, goarch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = moduleDir()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOARM=7")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %v\n%s", pkg, goarch, err, b)
	}
	return nil
}

// Build builds the fixtures once per test binary and returns their
// folder; TestMain must call Cleanup. Tests in a package without such a
// TestMain use BuildTemp.
func Build(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, errOnce = os.MkdirTemp("", "stacktest-")
		if errOnce == nil {
			errOnce = buildIn(dir)
		}
	})
	if errOnce != nil {
		t.Fatal(errOnce)
	}
	return dir
}

// BuildTemp builds the fixtures in a folder removed when the test ends.
func BuildTemp(t testing.TB) string {
	t.Helper()
	d := t.TempDir()
	if err := buildIn(d); err != nil {
		t.Fatal(err)
	}
	return d
}

func buildIn(dir string) error {
	if err := goBuild(filepath.Join(dir, "crossdock"), "./helper", runtime.GOARCH); err != nil {
		return err
	}
	for _, arch := range []string{"amd64", "arm"} {
		layer := filepath.Join(dir, "layer-"+arch)
		if err := goBuild(filepath.Join(layer, "app"), "./stackapp", arch); err != nil {
			return err
		}
		if err := writeEtc(layer); err != nil {
			return err
		}
	}
	return nil
}

// writeEtc gives the layer the /tmp, /etc/passwd and /etc/group an image
// has.
func writeEtc(layer string) error {
	for _, d := range []string{"etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(layer, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(layer, "tmp"), 0o1777); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(layer, "etc/passwd"), []byte("root:x:0:0:root:/:/app\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(layer, "etc/group"), []byte("root:x:0:\n"), 0o644)
}

// Images serves the image "stackapp" from the fixtures in dir: one layer
// holding /app, for the platform asked. Its config sets the entrypoint
// /app, the env GREETING=hello, and exposes 7000/tcp.
func Images(dir string) runner.ImageSource {
	return runner.ImageFunc(func(ctx context.Context, ref, platform string) (runner.Image, error) {
		if ref != Image {
			return runner.Image{}, fmt.Errorf("test image source: no image %q", ref)
		}
		arch, p := "amd64", "linux/amd64"
		if strings.HasPrefix(platform, "linux/arm") {
			arch, p = "arm", "linux/arm/v7"
		}
		return runner.Image{Platform: p, Layers: []string{filepath.Join(dir, "layer-"+arch)},
			Config: v1.Config{Entrypoint: []string{"/app"}, Env: []string{"PATH=/", "GREETING=hello"},
				ExposedPorts: map[string]struct{}{"7000/tcp": {}}}}, nil
	})
}

// Runtime returns a runtime rooted in a fresh folder, with the stackapp
// image, and the root. It skips unless the test runs as root with runc.
func Runtime(t testing.TB) (*runner.Runtime, runner.ImageSource, string) {
	t.Helper()
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "runc", "runc")
	d := Build(t)
	root := t.TempDir()
	images := Images(d)
	rt, err := runner.New(root, runner.WithHelperBinary(filepath.Join(d, "crossdock")),
		runner.WithImages(images))
	if err != nil {
		t.Fatal(err)
	}
	return rt, images, root
}

// NeedPlatform makes sure the platform can run here: arm needs the
// qemu-arm handler, held for the test.
func NeedPlatform(t testing.TB, platform string) {
	t.Helper()
	if strings.HasPrefix(platform, "linux/arm") {
		testhost.NeedHandler(t, "arm")
	}
}
