package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// A detached container keeps running, its log can be followed to its end,
// stop kills one that ignores SIGTERM after the timeout, and rm of a
// running container fails naming it, as with Docker.
func TestDetachedLifecycle(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	img := probeRootfs(t, "linux/amd64")

	st, err := r.CreateFrom(ctx, Spec{Name: "stubborn", Cmd: []string{"ignore-term"}}, img)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Status, Created))
	assert.NilError(t, r.Start(ctx, "stubborn"))
	waitLog(t, r, st.ID, "ignoring SIGTERM")

	st, err = r.Inspect(ctx, "stubborn")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Status, Running))
	assert.Check(t, st.Pid > 0 && alive(st.Pid))
	assert.Check(t, st.ShimPid > 0 && alive(st.ShimPid))
	running, err := r.List(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(running, 1))

	err = r.Remove(ctx, "stubborn", false)
	assert.Check(t, errdefs.Code(err) == 2 && strings.Contains(err.Error(), "stubborn"), "%v", err)

	follow := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		err := r.Logs(ctx, "stubborn", LogOptions{Follow: true}, &b)
		assert.Check(t, err)
		follow <- b.String()
	}()

	assert.NilError(t, r.Stop(ctx, "stubborn", 500*time.Millisecond))
	st, err = r.Inspect(ctx, "stubborn")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Status, Exited))
	assert.Check(t, is.Equal(st.ExitCode, 137), "SIGTERM was ignored: SIGKILL ends it")
	select {
	case out := <-follow:
		assert.Check(t, is.Equal(out, "ignoring SIGTERM\n"))
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not end when the container did")
	}
	running, err = r.List(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(running, 0))

	// A restart runs it again on the same writable layer and log.
	assert.NilError(t, r.Start(ctx, "stubborn"))
	waitLog(t, r, st.ID, "ignoring SIGTERM\nignoring SIGTERM\n")
	assert.NilError(t, r.Remove(ctx, "stubborn", true))
	_, err = r.Inspect(ctx, "stubborn")
	assert.Check(t, errdefs.Code(err) == 2, "%v", err)
}

// The writable layer survives a restart and goes with rm; the image's
// layer is never written.
func TestWritableLayer(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	img := probeRootfs(t, "linux/amd64")

	st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"write", "/data/seed.txt", "changed"}}, img)
	assert.NilError(t, err)
	code, err := r.RunCreated(ctx, st.ID, Stdio{})
	assert.NilError(t, err)
	assert.Equal(t, code, 0)

	other, err := r.CreateFrom(ctx, Spec{Cmd: []string{"cat", "/data/seed.txt"}, AutoRemove: true}, img)
	assert.NilError(t, err)
	var out bytes.Buffer
	_, err = r.RunCreated(ctx, other.ID, Stdio{Stdout: &out})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(out.String(), "from the image\n"), "another container sees the image")

	st, err = r.Inspect(ctx, st.ID)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Status, Exited))
	assert.NilError(t, r.Remove(ctx, st.ID, false))
}

// Logs with Tail prints only the last lines.
func TestLogsTail(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	st, err := r.CreateFrom(ctx, Spec{Entrypoint: []string{"/probe", "cat", "/etc/passwd"}},
		probeRootfs(t, "linux/amd64"))
	assert.NilError(t, err)
	defer r.Remove(ctx, st.ID, true)
	_, err = r.RunCreated(ctx, st.ID, Stdio{})
	assert.NilError(t, err)

	var b bytes.Buffer
	assert.NilError(t, r.Logs(ctx, st.ID, LogOptions{Tail: 1}, &b))
	assert.Check(t, is.Equal(b.String(), "robot:x:1000:1000::/home/robot:/probe\n"))
}
