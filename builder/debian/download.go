package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// ErrDigestMismatch is wrapped by every error about downloaded or cached
// content whose sha256 differs from what the signed index says.
var ErrDigestMismatch = errors.New("sha256 mismatch")

// maxReleaseSize bounds an InRelease file; Debian's are under 200 KiB.
const maxReleaseSize = 16 << 20

// attempts is how often a download is tried before its error is returned.
const attempts = 3

// retry runs fetch until it succeeds, up to attempts times, waiting a
// little longer each time. Only failures a new try can cure are retried:
// network errors and server errors, not a missing file, content that does
// not match its digest, or a cancelled context.
func (o *options) retry(ctx context.Context, fetch func() error) error {
	var err error
	for i := range attempts {
		if err = fetch(); err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if i < attempts-1 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(o.backoff << i):
			}
		}
	}
	return err
}

func transient(err error) bool {
	return !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrInvalid) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// get fetches a small file whole.
func (o *options) get(ctx context.Context, url string) ([]byte, error) {
	var data []byte
	err := o.retry(ctx, func() error {
		body, err := o.open(ctx, url)
		if err != nil {
			return err
		}
		defer body.Close()

		data, err = io.ReadAll(io.LimitReader(body, maxReleaseSize+1))
		if err != nil {
			return fmt.Errorf("get %s: %w", url, err)
		}
		if len(data) > maxReleaseSize {
			return errdefs.Invalid(fmt.Errorf("get %s: larger than %d bytes", url, maxReleaseSize))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.report(Progress{URL: url, Bytes: int64(len(data))})
	return data, nil
}

func (o *options) open(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("get %s: %w", url, err))
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("get %s: %s", url, resp.Status)
		if resp.StatusCode == http.StatusNotFound {
			return nil, errdefs.NotFound(err)
		}
		return nil, err
	}
	return resp.Body, nil
}

// cachePath is where content with the given sha256 is kept.
func (o *options) cachePath(sum string) string {
	return filepath.Join(o.cacheDir, "sha256", sum)
}

// fetchVerified returns the path of a cached file whose content has the
// wanted sha256 and size, downloading it from url first if needed. A
// download that does not match is removed and never gets the cached name;
// a cached file that no longer matches is fetched again.
func (o *options) fetchVerified(ctx context.Context, url, sum string, size int64) (string, error) {
	if len(sum) != sha256.Size*2 {
		return "", errdefs.Invalid(fmt.Errorf("%s: bad sha256 %q in the index", url, sum))
	}
	path := o.cachePath(sum)
	if got, n, err := hashFile(path); err == nil && got == sum {
		o.report(Progress{URL: url, Bytes: n, Cached: true})
		return path, nil
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("debian cache: %w", err)
	}
	var n int64
	err := o.retry(ctx, func() error {
		var err error
		n, err = o.download(ctx, url, path, sum, size)
		return err
	})
	if err != nil {
		return "", err
	}
	o.report(Progress{URL: url, Bytes: n})
	return path, nil
}

// download writes url to path if its content has the given sha256 and
// size, and returns its size.
func (o *options) download(ctx context.Context, url, path, sum string, size int64) (int64, error) {
	body, err := o.open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer body.Close()

	// The content is checked before the file gets its name; an error from
	// the check or the transfer is returned as it is, since nothing was
	// written under path.
	var n int64
	var fillErr error
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		h := sha256.New()
		n, fillErr = io.Copy(io.MultiWriter(w, h), body)
		switch got := hex.EncodeToString(h.Sum(nil)); {
		case fillErr != nil:
			fillErr = fmt.Errorf("get %s: %w", url, fillErr)
		case got != sum:
			fillErr = errdefs.Invalid(fmt.Errorf("%s: %w: got %s, the signed index says %s",
				url, ErrDigestMismatch, got, sum))
		case size > 0 && n != size:
			fillErr = errdefs.Invalid(fmt.Errorf("%s: %d bytes, the signed index says %d", url, n, size))
		}
		return fillErr
	})
	if fillErr != nil {
		return n, fillErr
	}
	return n, err
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
