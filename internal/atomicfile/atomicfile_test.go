package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	assert.NilError(t, WriteFile(p, []byte("old"), 0o644))
	assert.NilError(t, WriteFile(p, []byte("new"), 0o600))
	b, err := os.ReadFile(p)
	assert.NilError(t, err)
	assert.Equal(t, string(b), "new")
	fi, err := os.Stat(p)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o600))
}

func TestFailedFillLeavesOldAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	assert.NilError(t, WriteFile(p, []byte("old"), 0o644))
	boom := errors.New("boom")
	err := Write(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	assert.ErrorIs(t, err, boom)
	b, _ := os.ReadFile(p)
	assert.Equal(t, string(b), "old")
	ents, _ := os.ReadDir(dir)
	assert.Equal(t, len(ents), 1, "temporary file left behind")
}
