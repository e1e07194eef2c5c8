package builder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"golang.org/x/sys/unix"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// mknodNull makes a character device like /dev/null inside dir (root only).
func mknodNull(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mknod needs root")
	}
	p := filepath.Join(dir, "null")
	assert.NilError(t, unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	return p
}

func TestOCIOutputRefusesWhatIsNotALayout(t *testing.T) {
	idx, err := random.Index(64, 1, 1)
	assert.NilError(t, err)
	dir := t.TempDir()

	precious := filepath.Join(dir, "precious")
	assert.NilError(t, os.MkdirAll(precious, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(precious, "thesis.txt"), []byte("years"), 0o644))
	err = WriteOCILayout(precious, "x/y:1", idx)
	assert.ErrorContains(t, err, precious)
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid))
	_, err = os.Stat(filepath.Join(precious, "thesis.txt"))
	assert.NilError(t, err, "the user's folder was touched")

	dev := mknodNull(t, dir)
	err = WriteOCILayout(dev, "x/y:1", idx)
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	fi, err := os.Lstat(dev)
	assert.NilError(t, err)
	assert.Assert(t, fi.Mode()&os.ModeCharDevice != 0, "the device became %s", fi.Mode())

	file := filepath.Join(dir, "file")
	assert.NilError(t, os.WriteFile(file, []byte("keep"), 0o644))
	assert.Assert(t, errors.Is(WriteOCILayout(file, "x/y:1", idx), errdefs.ErrInvalid))
	data, _ := os.ReadFile(file)
	assert.Equal(t, string(data), "keep")
}

func TestOCIOutputReplacesALayout(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "oci")
	for i := 0; i < 2; i++ {
		idx, err := random.Index(64, 1, 1)
		assert.NilError(t, err)
		assert.NilError(t, WriteOCILayout(out, "x/y:1", idx))
		for _, name := range []string{"index.json", "oci-layout"} {
			fi, err := os.Stat(filepath.Join(out, name))
			assert.NilError(t, err)
			assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644), name)
		}
	}
	ents, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Equal(t, len(ents), 1, "temp folders left beside the output: %v", ents)
	// An empty folder is taken.
	empty := filepath.Join(dir, "empty")
	assert.NilError(t, os.Mkdir(empty, 0o755))
	idx, _ := random.Index(64, 1, 1)
	assert.NilError(t, WriteOCILayout(empty, "x/y:1", idx))
}

func TestDockerOutputRefusesWhatIsNotAFile(t *testing.T) {
	idx, err := random.Index(64, 1, 1)
	assert.NilError(t, err)
	dir := t.TempDir()

	dev := mknodNull(t, dir)
	err = WriteDockerTarball(dev, "x/y:1", idx, "")
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, dev)
	fi, err := os.Lstat(dev)
	assert.NilError(t, err)
	assert.Assert(t, fi.Mode()&os.ModeCharDevice != 0, "the device became %s", fi.Mode())

	err = WriteDockerTarball(dir, "x/y:1", idx, "")
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	err = WriteDockerTarball(filepath.Join(dir, "missing", "x.tar"), "x/y:1", idx, "")
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)

	fresh := filepath.Join(dir, "new.tar")
	assert.NilError(t, WriteDockerTarball(fresh, "x/y:1", idx, ""))
	fi, err = os.Stat(fresh)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644))

	old := filepath.Join(dir, "old.tar")
	assert.NilError(t, os.WriteFile(old, nil, 0o640))
	assert.NilError(t, os.Chmod(old, 0o640))
	assert.NilError(t, WriteDockerTarball(old, "x/y:1", idx, ""))
	fi, err = os.Stat(old)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o640))
	assert.Assert(t, fi.Size() > 0)
}
