package builder

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/flock"
)

// Every build keeps its temporary files (layer tars, blobs being written,
// spooled .debs, Go binaries) in a folder of its own under CACHE/tmp,
// build-XXXX, guarded by an exclusive flock on build-XXXX.lock held for the
// build's life. A build starts by removing the folders whose lock nobody
// holds: those of builds that were killed.

// legacyTempAge is how old a loose temporary file (written by a builder of
// before the per-build folders) must be to be removed.
const legacyTempAge = 10 * time.Minute

// buildTemp is one build's temporary folder.
type buildTemp struct {
	dir  string
	lock *flock.Lock
}

// startTemp removes what killed builds left in base and makes this build's
// folder.
func startTemp(ctx context.Context, base string) (*buildTemp, error) {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	cleanStaleTemp(base)
	f, err := os.CreateTemp(base, "build-*.lock")
	if err != nil {
		return nil, err
	}
	f.Close()
	lk, err := flock.Exclusive(ctx, f.Name())
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	dir := strings.TrimSuffix(f.Name(), ".lock")
	if err := os.Mkdir(dir, 0o755); err != nil {
		lk.Unlock()
		os.Remove(f.Name())
		return nil, err
	}
	return &buildTemp{dir: dir, lock: lk}, nil
}

// close removes the build's folder and its lock.
func (t *buildTemp) close() {
	os.RemoveAll(t.dir)
	os.Remove(t.dir + ".lock")
	t.lock.Unlock()
}

// cleanStaleTemp removes, best effort, the folders of builds that hold no
// lock any more and loose files older than legacyTempAge.
func cleanStaleTemp(base string) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	locks := map[string]bool{}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".lock") {
			locks[strings.TrimSuffix(e.Name(), ".lock")] = true
		}
	}
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(base, name)
		switch {
		case strings.HasSuffix(name, ".lock"):
			removeIfUnlocked(p)
		case strings.HasPrefix(name, "build-"):
			// A folder is made after its lock; one without a lock is left
			// over from a removal that was cut short.
			if !locks[name] {
				os.RemoveAll(p)
			}
		default:
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > legacyTempAge {
				os.RemoveAll(p)
			}
		}
	}
}

// removeIfUnlocked removes the build folder of the lock file p, and p, if
// no live build holds p.
func removeIfUnlocked(p string) {
	f, err := os.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) || err != nil {
		return // a live build
	}
	if err := os.RemoveAll(strings.TrimSuffix(p, ".lock")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return
	}
	os.Remove(p)
}
