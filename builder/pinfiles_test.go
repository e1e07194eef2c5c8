package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// TestLockedBuildNamesAChangedFile pins the context's files in the lock and
// checks that --locked refuses a build after a file a source uses changed,
// naming it, and does not mind a file no source uses.
func TestLockedBuildNamesAChangedFile(t *testing.T) {
	p := writeSpec(t, `name: a/b:1
platforms: [linux/amd64]
layers:
  - files:
      - {src: etc, dest: /etc/app}
  - go:
      packages: [./cmd/app]
`, map[string]string{
		"etc/app.conf":     "a=1\n",
		"go.mod":           "module example.com/app\n\ngo 1.22\n",
		"cmd/app/main.go":  "package main\n\nfunc main() { f() }\n",
		"cmd/app/f.go":     "package main\n\nfunc f() {}\n",
		"cmd/app/f_arm.go": "package main\n",
		"README":           "not used\n",
	})
	dir := filepath.Dir(p)
	s, err := Load(p)
	assert.NilError(t, err)
	ctx := context.Background()
	l, err := Lock(ctx, s, WithCacheDir(t.TempDir()))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(l.Layers[0].Files["etc/app.conf"], "0644 sha256:"))
	assert.Check(t, is.Contains(l.Layers[1].Files["cmd/app/f.go"], "sha256:"))
	_, pinned := l.Layers[1].Files["cmd/app/f_arm.go"]
	assert.Check(t, !pinned, "a file for no platform of the spec is pinned")
	assert.NilError(t, WriteLock(LockPath(s), l))

	write := func(name, data string) {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	build := func() error {
		_, err := Build(ctx, s, WithCacheDir(t.TempDir()), WithLocked())
		return err
	}
	write("README", "edited\n")
	assert.NilError(t, build())

	write("etc/app.conf", "a=2\n")
	err = build()
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, p+":4: layer 1 (files): etc/app.conf (changed) changed since it was locked")
	write("etc/app.conf", "a=1\n")

	write("cmd/app/f.go", "package main\n\nfunc f() { println() }\n")
	err = build()
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, "layer 2 (go): cmd/app/f.go (changed)")
}

func TestLockedBuildRefusesAnotherGoToolchain(t *testing.T) {
	p := writeSpec(t, "name: a/b:1\nplatforms: [linux/amd64]\nlayers:\n  - go: {packages: [.]}\n",
		map[string]string{
			"go.mod":  "module example.com/app\n\ngo 1.22\n",
			"main.go": "package main\n\nfunc main() {}\n",
		})
	s, err := Load(p)
	assert.NilError(t, err)
	ctx := context.Background()
	l, err := Lock(ctx, s, WithCacheDir(t.TempDir()))
	assert.NilError(t, err)
	here := l.Layers[0].Go.Toolchain
	l.Layers[0].Go.Toolchain = "go1.21.0"
	assert.NilError(t, WriteLock(LockPath(s), l))
	_, err = Build(ctx, s, WithCacheDir(t.TempDir()), WithLocked())
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, "pins Go go1.21.0 for "+p+":4, this machine's go is "+here)
}
