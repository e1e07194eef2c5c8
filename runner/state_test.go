package runner

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// Names stay unique when many creators race (the flock orders them), and
// generated names read adjective_surname.
func TestConcurrentCreate(t *testing.T) {
	needContainers(t)
	ctx := context.Background()
	root := t.TempDir()
	img := probeRootfs(t, "linux/amd64")

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := New(root, WithHelperBinary(fixtures.crossdock)) // as separate processes would
			if err == nil {
				_, err = r.CreateFrom(ctx, Spec{Name: "only", Cmd: []string{"arch"}}, img)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else {
			assert.Check(t, is.ErrorContains(err, `container name "only" is already in use`))
		}
	}
	assert.Check(t, is.Equal(ok, 1))

	r := newTestRuntimeAt(t, root)
	st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"arch"}}, img)
	assert.NilError(t, err)
	assert.Check(t, regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]?$`).MatchString(st.Name), st.Name)
	list, err := r.List(ctx, true)
	assert.NilError(t, err)
	assert.Check(t, is.Len(list, 2))
	for _, c := range list {
		assert.NilError(t, r.Remove(ctx, c.ID, false))
	}
}

// Ending Run's context kills the container; Run still reports how it
// ended.
func TestRunContextCancel(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"ignore-term"}, AutoRemove: true}, probeRootfs(t, "linux/amd64"))
	assert.NilError(t, err)
	out := &syncBuffer{}
	go func() {
		for !strings.Contains(out.String(), "ignoring") {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	code, err := r.RunCreated(ctx, st.ID, Stdio{Stdout: out})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(code, 137))
}

// Logs keeps stdout and stderr apart when asked.
func TestLogsStreams(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"cat", "/nonexistent"}}, probeRootfs(t, "linux/amd64"))
	assert.NilError(t, err)
	defer r.Remove(ctx, st.ID, false)
	code, err := r.RunCreated(ctx, st.ID, Stdio{})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(code, 1))

	var out, errOut bytes.Buffer
	assert.NilError(t, r.Logs(ctx, st.ID, LogOptions{Stderr: &errOut}, &out))
	assert.Check(t, is.Equal(out.String(), ""))
	assert.Check(t, is.Contains(errOut.String(), "/nonexistent: no such file or directory"))
}

// A state file torn by a crash does not break listing: the container shows
// as exited under its ID, and rm removes it.
func TestTornState(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"arch"}}, probeRootfs(t, "linux/amd64"))
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(r.statePath(st.ID), nil, 0o600))

	list, err := r.List(ctx, true)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(list, 1))
	assert.Check(t, is.Equal(list[0].Name, st.ID))
	assert.Check(t, is.Contains(list[0].Error, "state unreadable"))
	assert.NilError(t, r.Remove(ctx, st.ID, false))
}
