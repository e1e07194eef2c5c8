package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"
)

// syncBuffer is a bytes.Buffer safe to write from one goroutine and read
// from another.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// registry serve answers the distribution API until interrupted; a push
// and a pull through it keep the index digest, and its data outlives it.
func TestRegistryServeCLI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	data := t.TempDir()

	serve := func() (context.CancelFunc, chan error, *syncBuffer) {
		ctx, cancel := context.WithCancel(context.Background())
		var stderr syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"registry", "serve", "--addr", addr, "--dir", data},
				strings.NewReader(""), &bytes.Buffer{}, &stderr)
		}()
		poll.WaitOn(t, func(poll.LogT) poll.Result {
			if strings.Contains(stderr.String(), "registry listening") {
				return poll.Success()
			}
			return poll.Continue("not listening yet: %s", stderr.String())
		}, poll.WithTimeout(10*time.Second))
		return cancel, done, &stderr
	}

	cancel, done, stderr := serve()
	root, h := storeWithIndex(t, "owner/robot:v1")
	code, _, errOut := runCLI(t, "push", "owner/robot:v1", "--to", addr+"/owner/robot:v1", "--root", root)
	assert.Equal(t, code, 0, errOut)
	cancel()
	assert.NilError(t, <-done)
	assert.Check(t, is.Contains(stderr.String(), "registry stopped"))

	cancel, done, _ = serve()
	defer func() { cancel(); <-done }()
	other := t.TempDir()
	code, _, errOut = runCLI(t, "pull", "--all-platforms", addr+"/owner/robot:v1", "--root", other)
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(errOut, h.String()))
}
