package snapshotter

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// flaky answers the first GET of every blob with 503 and cuts the second
// one off half-way (the connection is closed mid-body); the third gets
// through.
type flaky struct {
	inner http.Handler
	mu    sync.Mutex
	seen  map[string]int
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
		f.inner.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.seen[r.URL.Path]++
	n := f.seen[r.URL.Path]
	f.mu.Unlock()
	switch n {
	case 1:
		http.Error(w, "try later", http.StatusServiceUnavailable)
	case 2:
		f.inner.ServeHTTP(&cutOff{ResponseWriter: w}, r)
	default:
		f.inner.ServeHTTP(w, r)
	}
}

// cutOff sends half of the first body write, then kills the connection.
type cutOff struct{ http.ResponseWriter }

func (c *cutOff) Write(p []byte) (int, error) {
	c.ResponseWriter.Write(p[:len(p)/2]) //nolint:errcheck // about to be cut
	c.ResponseWriter.(http.Flusher).Flush()
	conn, _, err := c.ResponseWriter.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
	return 0, net.ErrClosed
}

// Pull gets through server errors and connections cut mid-blob, and what
// it stores still verifies.
func TestPullRetries(t *testing.T) {
	reg, err := NewRegistry(t.TempDir())
	assert.NilError(t, err)
	fl := &flaky{inner: reg, seen: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	srv := &http.Server{Handler: fl}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	img, err := random.Image(256<<10, 2)
	assert.NilError(t, err)
	ref := addr + "/owner/flaky:v1"
	r, err := name.ParseReference(ref)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(r, img))

	s := openTemp(t)
	got, err := s.Pull(context.Background(), ref)
	assert.NilError(t, err)
	want, _ := img.Digest()
	assert.Check(t, is.Equal(got, want))
	bad, err := s.Verify(context.Background(), false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(bad, 0))
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for p, n := range fl.seen {
		assert.Check(t, n >= 3, "%s fetched %d times", p, n)
	}
}
