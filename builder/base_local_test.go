package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/errdefs"
)

func TestLocalBaseIsNeverFetched(t *testing.T) {
	p := writeSpec(t, "name: a/b:1\nplatforms: [linux/amd64]\nlayers:\n  - base: {ref: crossdock.local/nope:1}\n  - files: [{src: f, dest: /f}]\n",
		map[string]string{"f": "x"})
	s, err := Load(p)
	assert.NilError(t, err)
	_, err = Build(context.Background(), s, WithCacheDir(t.TempDir()), WithStore(t.TempDir()))
	assert.Assert(t, errors.Is(err, errdefs.ErrNotFound), err)
	assert.ErrorContains(t, err, p+":4: base crossdock.local/nope:1 for linux/amd64: not in the local store")
}

func TestEachSpecHasItsOwnLock(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]string{
		"crossdock.yaml": "crossdock.lock", "ok.yaml": "ok.lock", "arm.yml": "arm.lock",
		"spec.json": "spec.json.lock",
	} {
		p := filepath.Join(dir, name)
		assert.NilError(t, os.WriteFile(p, []byte("name: a/b:1\nlayers: [{uroot: {}}]\n"), 0o644))
		s, err := Load(p)
		assert.NilError(t, err)
		assert.Equal(t, LockPath(s), filepath.Join(dir, want))
	}
}

func TestUnknownURootCommand(t *testing.T) {
	p := writeSpec(t, "name: a/b:1\nplatforms: [linux/amd64]\nlayers:\n  - uroot: {commands: [ls, frobnicate]}\n", nil)
	s, err := Load(p)
	assert.NilError(t, err)
	cache := t.TempDir()
	_, err = Build(context.Background(), s, WithCacheDir(cache))
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, p+`:4: uroot: u-root `)
	assert.ErrorContains(t, err, `has no core command "frobnicate" (it has: `)
	_, err = os.Stat(filepath.Join(cache, "tools"))
	assert.Assert(t, os.IsNotExist(err), "makebb was built before the names were checked")
}
