package builder

import (
	"context"
	"errors"
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
