package snapshotter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// WithServeNotice sets a function told when Pull or Push uses the
// embedded registry in-process because nothing answered at the default
// loopback address (default: nobody is told).
func WithServeNotice(f func(addr, dir string)) Option {
	return func(s *Store) { s.serveNotice = f }
}

// remoteOptions are the options of every registry call: credentials from
// the Docker config and credential helpers, retries with backoff on server
// errors, throttling and dropped connections.
func (s *Store) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithRetryBackoff(remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 5}),
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests,
			http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout),
		remote.WithJobs(4),
	}
	if s.transport != nil {
		opts = append(opts, remote.WithTransport(s.transport))
	}
	return append(opts, s.remote...)
}

// remoteFor returns the options for talking to r's registry. When r's
// registry is the default one, on loopback, and nothing answers there, it
// talks to the embedded registry (data in root/registry) in-process,
// through a transport that calls its handler directly: no socket is
// opened, so concurrent commands never depend on one another's server,
// and the registry's disk state is shared safely through its locks. The
// returned function releases it (or does nothing).
func (s *Store) remoteFor(ctx context.Context, r name.Reference) ([]remote.Option, func(), error) {
	opts := s.remoteOptions(ctx)
	host := r.Context().RegistryStr()
	if !s.autoServe || host != DefaultRegistry() || !isLoopback(host) || answers(host) {
		return opts, func() {}, nil
	}
	dir := filepath.Join(s.root, "registry")
	h, err := NewRegistry(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open the embedded registry: %w", err)
	}
	p := newInProcess(h)
	if s.serveNotice != nil {
		s.serveNotice(host, dir)
	}
	// Before s.remote, so a caller's own WithRemoteOptions still wins.
	n := len(opts) - len(s.remote)
	out := append(append(opts[:n:n], remote.WithTransport(p.Transport())), s.remote...)
	return out, func() { p.Close() }, nil
}

// answers reports whether something accepts TCP connections at addr.
func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// remoteError marks a registry's "not found" answers, naming the reference.
func remoteError(ref string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusNotFound) {
		return errdefs.NotFound(fmt.Errorf("%s: not found in the registry: %w", ref, err))
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// attempts is how many times a registry read is tried in all.
const attempts = 4

// retrying calls f until it succeeds, fails for good, or has been tried
// attempts times, waiting longer each time. go-containerregistry retries
// a request that fails; this also retries a response body cut off half-way,
// which it does not.
func retrying[T any](ctx context.Context, f func() (T, error)) (T, error) {
	delay := 200 * time.Millisecond
	for i := 1; ; i++ {
		v, err := f()
		if err == nil || i == attempts || !transient(err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// transient reports whether err may go away on a second try: a dropped or
// reset connection, a timeout, or a server error.
func transient(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode >= 500 || te.StatusCode == http.StatusTooManyRequests ||
			te.StatusCode == http.StatusRequestTimeout
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne) && ne.Timeout()
}
