package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// builderVersion is part of every cache key and is bumped whenever the bytes
// the builder writes for the same inputs change.
const builderVersion = "crossdock-builder/1"

// Option configures Build and Lock.
type Option func(*options) error

type options struct {
	platforms []string
	locked    bool
	cacheDir  string
	mirror    string
	progress  func(Event)
	epoch     *int64
	lockPath  string
	storeRoot string

	mu sync.Mutex // serializes progress calls from the platforms' goroutines
}

// Event reports progress of one step, for a progress display.
type Event struct {
	// Platform is the platform the step is for, empty for shared steps.
	Platform string
	// Layer is the 1-based layer source index, 0 for image-wide steps.
	Layer int
	// Kind is the layer source kind (go, debian, uroot, files, base).
	Kind string
	// Step is what happened: resolve, build, cached, done.
	Step string
	// Detail says more, e.g. the package count or the layer digest.
	Detail string
}

// WithPlatforms builds only these platforms instead of the spec's.
func WithPlatforms(platforms ...string) Option {
	return func(o *options) error {
		if len(platforms) == 0 {
			return fmt.Errorf("platforms: empty: name at least one")
		}
		if _, err := parsePlatforms(platforms); err != nil {
			return err
		}
		o.platforms = platforms
		return nil
	}
}

// WithLocked requires the lockfile to exist and to pin every input; nothing
// is resolved anew, and a lock that no longer matches the spec is an error.
// Off by default: inputs missing from the lock are resolved.
func WithLocked() Option {
	return func(o *options) error { o.locked = true; return nil }
}

// WithCacheDir sets the cache folder (default: $XDG_CACHE_HOME/crossdock,
// usually ~/.cache/crossdock).
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return fmt.Errorf("cache dir: empty path")
		}
		abs, err := filepath.Abs(dir)
		o.cacheDir = abs
		return err
	}
}

// WithMirror sets the Debian mirror URL, overriding the spec's and the
// host's apt sources.
func WithMirror(url string) Option {
	return func(o *options) error { o.mirror = url; return nil }
}

// WithProgress calls fn for every step. Platforms are built at the same
// time, but fn is never called twice at once.
func WithProgress(fn func(Event)) Option {
	return func(o *options) error { o.progress = fn; return nil }
}

// MaxEpoch is the latest SOURCE_DATE_EPOCH a build takes: the largest
// mtime a plain USTAR header holds (11 octal digits, in the year 2242);
// layers carry no PAX time records.
const MaxEpoch = 1<<33 - 1

// WithSourceDateEpoch sets every mtime and the config's created time to
// epoch (seconds), overriding the spec's and the lockfile's.
func WithSourceDateEpoch(epoch int64) Option {
	return func(o *options) error {
		if epoch < 0 || epoch > MaxEpoch {
			return fmt.Errorf("source date epoch %d: want 0..%d", epoch, MaxEpoch)
		}
		o.epoch = &epoch
		return nil
	}
}

// WithLockFile reads and compares against the lockfile at path instead of
// crossdock.lock next to the spec.
func WithLockFile(path string) Option {
	return func(o *options) error { o.lockPath = path; return nil }
}

func newOptions(s *Spec, opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, errdefs.Invalid(err)
		}
	}
	if o.cacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("cache dir: %w", err)
		}
		o.cacheDir = filepath.Join(dir, "crossdock")
	}
	if len(o.platforms) == 0 {
		o.platforms = s.Platforms
	}
	if o.lockPath == "" {
		o.lockPath = LockPath(s)
	}
	return o, nil
}

func (o *options) report(e Event) {
	if o.progress != nil {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.progress(e)
	}
}
