package snapshotter

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// Prune removes the temporary files of killed index.json writes and stale
// registry uploads, and leaves a fresh upload alone.
func TestPruneRemovesStaleTemps(t *testing.T) {
	s := openTemp(t)
	regBlobs := filepath.Join(s.Root(), "registry", "blobs", "sha256")
	assert.NilError(t, os.MkdirAll(regBlobs, 0o755))
	write := func(p string, age time.Duration) {
		assert.NilError(t, os.WriteFile(p, []byte("half"), 0o644))
		old := time.Now().Add(-age)
		assert.NilError(t, os.Chtimes(p, old, old))
	}
	idxTemp := filepath.Join(s.ContentDir(), ".index.json.tmp-1234")
	oldUpload := filepath.Join(regBlobs, ".abc.tmp-1")
	newUpload := filepath.Join(regBlobs, ".def.tmp-2")
	write(idxTemp, 0)
	write(oldUpload, 2*time.Hour)
	write(newUpload, 0)

	rep, err := s.Prune(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Temp, 2))
	for p, gone := range map[string]bool{idxTemp: true, oldUpload: true, newUpload: false} {
		_, err := os.Stat(p)
		assert.Check(t, is.Equal(os.IsNotExist(err), gone), p)
	}
}
