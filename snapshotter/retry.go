package snapshotter

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

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
