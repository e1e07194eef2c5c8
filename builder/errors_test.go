package builder

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// A module whose main package calls a function that only an amd64 file
// defines: it builds for amd64 and not for arm.
var amd64Only = map[string]string{
	"go.mod":          "module example.com/amd64only\n\ngo 1.22\n",
	"main.go":         "package main\n\nfunc main() { hello() }\n",
	"hello_amd64.go":  "package main\n\nfunc hello() { println(\"hi\") }\n",
	"other/README.md": "not a package\n",
}

func TestGoPackageThatDoesNotBuildForArm(t *testing.T) {
	p := writeSpec(t, `name: test/amd64only:1
layers:
  - go:
      packages: [.]
`, amd64Only)
	s, err := Load(p)
	assert.NilError(t, err)
	cache := t.TempDir()

	_, err = Build(context.Background(), s, WithCacheDir(cache), WithPlatforms("linux/amd64"))
	assert.NilError(t, err, "the fixture must build for amd64")

	_, err = Build(context.Background(), s, WithCacheDir(cache))
	assert.Assert(t, err != nil)
	assert.Check(t, errors.Is(err, errdefs.ErrInvalid))
	assert.Check(t, is.Contains(err.Error(), "go package . (module .)"))
	assert.Check(t, is.Contains(err.Error(), "linux/arm/v7"))
	assert.Check(t, is.Contains(err.Error(), "undefined: hello"), "the compiler's message")
}

func TestLockedBuildRefusesAStaleLock(t *testing.T) {
	p := writeSpec(t, "name: test/x:1\nlayers:\n  - go:\n      packages: [.]\n", amd64Only)
	s, err := Load(p)
	assert.NilError(t, err)

	_, err = Build(context.Background(), s, WithLocked(), WithCacheDir(t.TempDir()))
	assert.ErrorContains(t, err, "--locked: no lockfile at "+LockPath(s))

	l, err := Lock(context.Background(), s, WithPlatforms("linux/amd64"))
	assert.NilError(t, err)
	assert.NilError(t, WriteLock(LockPath(s), l))
	_, err = Build(context.Background(), s, WithLocked(), WithPlatforms("linux/amd64"),
		WithCacheDir(t.TempDir()))
	assert.NilError(t, err)

	// The source changes: the lock no longer pins it.
	assert.NilError(t, os.WriteFile(p, []byte("name: test/x:1\nlayers:\n  - go:\n"+
		"      packages: [.]\n      ldflags: -s\n"), 0o644))
	s, err = Load(p)
	assert.NilError(t, err)
	_, err = Build(context.Background(), s, WithLocked(), WithPlatforms("linux/amd64"),
		WithCacheDir(t.TempDir()))
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid))
	assert.Check(t, is.Contains(err.Error(), p+":3: layer 1 (go) changed since it was locked"))

	// go.sum changes: a locked build refuses it too.
	s.Layers[0].Go.Ldflags = ""
	assert.NilError(t, os.WriteFile(filepath.Join(s.Context, "go.sum"), []byte("x"), 0o644))
	_, err = Build(context.Background(), s, WithLocked(), WithPlatforms("linux/amd64"),
		WithCacheDir(t.TempDir()))
	assert.ErrorContains(t, err, "go.mod or go.sum of . changed since it was locked")
}

// debianTestCache keeps Debian indexes and .debs between test runs.
func debianTestCache(t *testing.T) string {
	dir := filepath.Join(os.TempDir(), "crossdock-builder-test-cache")
	assert.NilError(t, os.MkdirAll(dir, 0o755))
	return dir
}

func TestMissingDebianPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the Debian index from the mirror")
	}
	p := writeSpec(t, "name: test/x:1\nplatforms: [linux/arm/v7]\nlayers:\n  - files: []\n"+
		"  - debian:\n      packages: [dash, no-such-package-crossdock]\n", nil)
	s, err := Load(p)
	assert.NilError(t, err)
	_, err = Lock(context.Background(), s, WithCacheDir(debianTestCache(t)))
	assert.Assert(t, err != nil)
	assert.Check(t, errors.Is(err, errdefs.ErrInvalid) || errors.Is(err, errdefs.ErrNotFound))
	for _, want := range []string{p + ":5:", "no-such-package-crossdock", "armhf", "bookworm"} {
		assert.Check(t, is.Contains(err.Error(), want))
	}
}

// A lockfile whose sha256 for a .deb is wrong fails the build, naming the
// package and the file, and caches nothing for it.
func TestWrongSHA256InLock(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads a .deb from the mirror")
	}
	p := writeSpec(t, "name: test/x:1\nplatforms: [linux/arm/v7]\nlayers:\n"+
		"  - debian:\n      packages: [hello]\n", nil)
	s, err := Load(p)
	assert.NilError(t, err)
	cache := debianTestCache(t)
	l, err := Lock(context.Background(), s, WithCacheDir(cache))
	assert.NilError(t, err)

	// Keep only hello (the layer would hold the Essential set too) and
	// break its sha256.
	var hello LockedPackage
	for _, pkg := range l.Layers[0].Debian.Packages["armhf"] {
		if pkg.Name == "hello" {
			hello = pkg
		}
	}
	assert.Assert(t, hello.SHA256 != "", "hello not resolved: %+v", l)
	good := hello
	hello.SHA256 = "0000" + hello.SHA256[4:]
	l.Layers[0].Debian.Packages["armhf"] = []LockedPackage{hello}
	assert.NilError(t, WriteLock(LockPath(s), l))

	_, err = Build(context.Background(), s, WithLocked(), WithCacheDir(cache))
	assert.Assert(t, err != nil)
	assert.Check(t, errors.Is(err, errdefs.ErrInvalid))
	for _, want := range []string{LockPath(s), "debian package hello", hello.Version,
		"armhf", hello.Filename, "sha256 mismatch", "the sha256 the lockfile pins (" + hello.SHA256 + ")"} {
		assert.Check(t, is.Contains(err.Error(), want))
	}
	assert.Check(t, !strings.Contains(err.Error(), "signed index"), "the sum came from the lock")

	// With the right sha256 the same lock builds.
	l.Layers[0].Debian.Packages["armhf"] = []LockedPackage{good}
	data, _ := json.Marshal(l)
	assert.NilError(t, os.WriteFile(LockPath(s), data, 0o644))
	_, err = Build(context.Background(), s, WithLocked(), WithCacheDir(cache))
	assert.NilError(t, err)
}
