package debian

import (
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Option changes how Index and Fetch reach the archive and where they keep
// what they download.
type Option func(*options)

type options struct {
	cacheDir string
	client   *http.Client
	progress func(Progress)
	now      func() time.Time
	backoff  time.Duration // the first wait before a retry
}

// Progress reports one finished download (or cache hit), for the caller to
// show. Libraries print nothing themselves.
type Progress struct {
	URL    string // what was fetched
	Bytes  int64  // its size
	Cached bool   // true when it came from the cache, not the network
}

// WithCacheDir keeps downloaded files in dir, named by their sha256 (and
// parsed indexes under dir/parsed), so that a second run reads them from
// disk. The folder must be writable only by its owner. The default is
// $XDG_CACHE_HOME/crossdock/debian (os.UserCacheDir), or a folder under
// os.TempDir() when there is no user cache folder.
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithHTTPClient uses c for every request. The default is a client with
// http.DefaultTransport (which honours HTTP_PROXY and friends) and a
// 10 minute overall timeout per request.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithProgress calls fn after each file is fetched or found in the cache.
// The default reports nothing. fn may be called from several goroutines.
func WithProgress(fn func(Progress)) Option { return func(o *options) { o.progress = fn } }

// withBackoff sets the first wait before a retry (tests make it short).
func withBackoff(d time.Duration) Option { return func(o *options) { o.backoff = d } }

func newOptions(opts []Option) *options {
	o := &options{
		client:  &http.Client{Timeout: 10 * time.Minute},
		now:     time.Now,
		backoff: time.Second,
	}
	for _, opt := range opts {
		opt(o)
	}
	if o.cacheDir == "" {
		o.cacheDir = DefaultCacheDir()
	}
	return o
}

// DefaultCacheDir is where downloads are kept when no WithCacheDir is given.
func DefaultCacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "crossdock", "debian")
	}
	return filepath.Join(os.TempDir(), "crossdock-debian-cache")
}

func (o *options) report(p Progress) {
	if o.progress != nil {
		o.progress(p)
	}
}
