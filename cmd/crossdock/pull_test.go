package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"
	"gotest.tools/v3/poll"

	"github.com/crossdock/crossdock/snapshotter"
)

// buildCrossdock builds the crossdock binary once into a temp folder.
func buildCrossdock(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crossdock")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))
	return bin
}

// slowBlobs serves a registry whose blob bodies trickle out while slow is
// set, and counts the blob bytes it sent.
type slowBlobs struct {
	inner http.Handler
	slow  atomic.Bool
	sent  atomic.Int64
}

func (s *slowBlobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inner.ServeHTTP(&trickle{ResponseWriter: w, s: s}, r)
}

type trickle struct {
	http.ResponseWriter
	s *slowBlobs
}

func (t *trickle) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := min(len(p), 16<<10)
		m, err := t.ResponseWriter.Write(p[:chunk])
		n += m
		t.s.sent.Add(int64(m))
		if err != nil {
			return n, err
		}
		p = p[chunk:]
		if t.s.slow.Load() {
			if f, ok := t.ResponseWriter.(http.Flusher); ok {
				f.Flush()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return n, nil
}

// Tests that need crossdock as separate processes share one build.
func TestProcesses(t *testing.T) {
	bin := buildCrossdock(t)
	t.Run("pull survives kill -9", func(t *testing.T) { testPullSurvivesKill(t, bin) })
	t.Run("concurrent loads", func(t *testing.T) { testConcurrentLoads(t, bin) })
	t.Run("parallel push and pull without a registry", func(t *testing.T) { testParallelAutoRegistry(t, bin) })
}

// A pull killed with SIGKILL half-way leaves no corrupt blob behind a
// valid name; the next pull completes and store verify passes.
func testPullSurvivesKill(t *testing.T, bin string) {
	reg, err := snapshotter.NewRegistry(t.TempDir())
	assert.NilError(t, err)
	slow := &slowBlobs{inner: reg}
	srv := &http.Server{Handler: slow}
	ln, err := listenLoopback()
	assert.NilError(t, err)
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	img, err := random.Image(3<<20, 3)
	assert.NilError(t, err)
	ref := addr + "/owner/big:v1"
	r, err := name.ParseReference(ref)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(r, img))

	root := t.TempDir()
	slow.slow.Store(true)
	slow.sent.Store(0)
	cmd := exec.Command(bin, "pull", ref, "--root", root, "--log-format", "json")
	cmd.Stderr = os.Stderr
	assert.NilError(t, cmd.Start())
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if slow.sent.Load() > 2<<20 {
			return poll.Success()
		}
		return poll.Continue("%d bytes sent", slow.sent.Load())
	}, poll.WithTimeout(60*time.Second), poll.WithDelay(20*time.Millisecond))
	assert.NilError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	assert.Check(t, is.ErrorContains(err, "killed"))

	// Whatever has a blob name is whole and right.
	s, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
	assert.NilError(t, err)
	bad, err := s.Verify(context.Background(), false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(bad, 0))
	_, err = s.Image(context.Background(), ref, "")
	assert.Check(t, is.ErrorContains(err, "not in the store"), "the killed pull must not have named the image")

	slow.slow.Store(false)
	icmd.RunCmd(icmd.Command(bin, "pull", ref, "--root", root)).Assert(t, icmd.Success)
	icmd.RunCmd(icmd.Command(bin, "store", "verify", "--root", root)).Assert(t, icmd.Success)
	got, err := s.Image(context.Background(), ref, "")
	assert.NilError(t, err)
	gd, _ := got.Digest()
	wd, _ := img.Digest()
	assert.Check(t, is.Equal(gd, wd))
	res := icmd.RunCmd(icmd.Command(bin, "prune", "--root", root))
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stdout(), "removed 0 blobs"))
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// Four crossdock processes loading different images into one store at
// once leave an index.json that names all four, and a store that verifies.
func testConcurrentLoads(t *testing.T, bin string) {
	const n = 4
	var files []string
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("owner/load%d:v1", i)
		src, _ := storeWithIndex(t, ref)
		tar := filepath.Join(t.TempDir(), "img.tar")
		icmd.RunCmd(icmd.Command(bin, "save", "-o", tar, ref, "--root", src)).Assert(t, icmd.Success)
		files = append(files, tar)
	}

	root := t.TempDir()
	var cmds []*exec.Cmd
	for _, f := range files {
		cmd := exec.Command(bin, "load", "-i", f, "--root", root)
		cmd.Stderr = os.Stderr
		assert.NilError(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		assert.Check(t, cmd.Wait())
	}
	res := icmd.RunCmd(icmd.Command(bin, "images", "--root", root))
	res.Assert(t, icmd.Success)
	for i := 0; i < n; i++ {
		assert.Check(t, is.Contains(res.Stdout(), fmt.Sprintf("/owner/load%d:v1", i)))
	}
	assert.Check(t, is.Equal(strings.Count(res.Stdout(), "linux/amd64,linux/arm/v7"), n), res.Stdout())
	icmd.RunCmd(icmd.Command(bin, "store", "verify", "--root", root)).Assert(t, icmd.Success)
}
