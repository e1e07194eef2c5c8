package flock

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

func TestExclusiveWaitsForShared(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	ctx := context.Background()
	r1, err := Shared(ctx, p)
	assert.NilError(t, err)
	r2, err := Shared(ctx, p)
	assert.NilError(t, err, "two shared locks must coexist")

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = Exclusive(short, p)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	assert.NilError(t, r1.Unlock())
	assert.NilError(t, r2.Unlock())
	w, err := Exclusive(ctx, p)
	assert.NilError(t, err)
	assert.NilError(t, w.Unlock())
}
