package snapshotter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// NewRegistry returns the embedded registry: the OCI distribution API over
// the blobs and manifests kept in dir. It is go-containerregistry's
// registry with three changes: blobs live on disk (dir/blobs), manifests
// are recorded in dir/manifests.jsonl and replayed at start so they
// survive a restart (and again, from where the last replay stopped, when
// another process sharing dir has appended to it: several registries may
// share dir, the journal is flocked), and blob GET and HEAD are served from disk with full
// HTTP range support (one range, open-ended and suffix ranges, If-Range).
func NewRegistry(dir string, opts ...RegistryOption) (http.Handler, error) {
	var o registryOptions
	for _, f := range opts {
		f(&o)
	}
	blobs, err := newDiskBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, err
	}
	h := &registryHandler{
		blobs: blobs,
		inner: registry.New(
			registry.WithBlobHandler(blobs),
			registry.Logger(log.New(io.Discard, "", 0)),
		),
		journal:     filepath.Join(dir, "manifests.jsonl"),
		allowDelete: o.delete,
	}
	if err := h.replay(context.Background()); err != nil {
		return nil, err
	}
	return h, nil
}

// TODO: go-containerregistry's registry keeps chunked (PATCH) uploads in
// memory until they complete, so pushing a layer of several GB to the
// embedded registry needs that much RAM; monolithic uploads stream to disk.
// TODO: manifests.jsonl is never compacted; a registry with many pushes
// replays every one of them at start, which users see as a slower start.
// registryHandler wraps go-containerregistry's in-memory-manifest registry.
type registryHandler struct {
	inner   http.Handler
	blobs   *diskBlobs
	journal string
	mu      sync.Mutex // serializes journal appends
	writes  sync.Mutex // serializes manifest writes with their journal lines and replays

	replayed int64 // journal bytes replayed so far, under writes

	allowDelete bool
}

// RegistryOption configures NewRegistry and ServeRegistry.
type RegistryOption func(*registryOptions)

type registryOptions struct{ delete bool }

// WithDelete lets clients DELETE manifests and blobs (default: 405
// UNSUPPORTED). Blobs are shared by every repository, so deleting one
// breaks the other repositories that use it.
func WithDelete() RegistryOption {
	return func(o *registryOptions) { o.delete = true }
}

func (h *registryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, target := route(r.URL.Path)
	if h.checkRequest(w, r, kind, target) {
		return
	}
	if r.Method == http.MethodDelete && !h.allowDelete {
		apiError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "this registry does not delete (start it with --enable-delete)")
		return
	}
	if kind == "manifests" || kind == "tags" || strings.HasSuffix(r.URL.Path, "/_catalog") {
		// Another process may have pushed since: see its manifests first.
		if err := h.catchUp(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	switch {
	case kind == "blobs" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		if h.serveBlob(w, r, target) {
			return
		}
	case kind == "manifests" && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
		h.recordManifest(w, r, target)
		return
	}
	h.inner.ServeHTTP(w, r)
}

// route splits /v2/<name>/<kind>/<target>.
func route(p string) (kind, target string) {
	elem := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if len(elem) < 5 || elem[1] != "v2" {
		return "", ""
	}
	return elem[len(elem)-2], elem[len(elem)-1]
}

// serveBlob answers a blob GET or HEAD from disk, ranges included. It
// returns false for a blob it does not have, so the inner registry answers
// with the API's own error.
func (h *registryHandler) serveBlob(w http.ResponseWriter, r *http.Request, target string) bool {
	d, err := v1.NewHash(target)
	if err != nil {
		return false
	}
	rc, err := h.blobs.Get(r.Context(), "", d)
	if err != nil {
		return false
	}
	defer rc.Close()
	f, ok := rc.(*os.File)
	if !ok {
		return false
	}
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Etag", `"`+d.String()+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
	return true
}

// recordManifest passes a manifest PUT or DELETE to the inner registry and,
// if it succeeded, records it in the journal before answering.
func (h *registryHandler) recordManifest(w http.ResponseWriter, r *http.Request, target string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "read manifest: "+err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodPut && h.checkManifest(w, r, target, body) {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.writes.Lock() // the journal must list writes in the order they took effect
	defer h.writes.Unlock()
	h.inner.ServeHTTP(rec, r)

	if rec.Code/100 == 2 {
		if err := h.persist(r, body); err != nil {
			http.Error(w, "persist manifest: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes()) //nolint:errcheck // the client went away
}

// ServeRegistry serves the embedded registry with its data in dir on addr
// (such as 127.0.0.1:0) until ctx ends or stop is called. It returns the
// address it listens on. stop waits for requests in flight, at most five
// seconds.
func ServeRegistry(ctx context.Context, addr, dir string, opts ...RegistryOption) (string, func(), error) {
	handler, err := NewRegistry(dir, opts...)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("registry: listen on %s: %w", addr, err)
	}
	conns := &connStates{m: map[net.Conn]http.ConnState{}}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, ConnState: conns.set}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) //nolint:errcheck // always ErrServerClosed after stop
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.SetKeepAlivesEnabled(false)
			go func() {
				// Shutdown waits on connections that never sent a request
				// (clients dial spares) for up to five seconds; close them.
				time.Sleep(10 * time.Millisecond)
				conns.closeNew()
			}()
			if srv.Shutdown(sctx) != nil {
				srv.Close()
			}
			<-done
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return ln.Addr().String(), stop, nil
}

// connStates tracks the server's connections by state.
type connStates struct {
	mu sync.Mutex
	m  map[net.Conn]http.ConnState
}

func (c *connStates) set(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(c.m, conn)
		return
	}
	c.m[conn] = st
}

// closeNew closes the connections that have not sent a request yet.
func (c *connStates) closeNew() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn, st := range c.m {
		if st == http.StateNew {
			conn.Close()
		}
	}
}
