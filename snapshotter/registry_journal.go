package snapshotter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/flock"
)

// journalRecord is one line of manifests.jsonl: a manifest PUT (whose
// bytes are kept as a blob) or DELETE that the registry accepted.
type journalRecord struct {
	Op          string  `json:"op"`   // put or delete
	Path        string  `json:"path"` // /v2/<name>/manifests/<ref>
	ContentType string  `json:"contentType,omitempty"`
	Digest      v1.Hash `json:"digest,omitzero"`
}

// persist keeps the manifest's bytes as a blob and appends the request to
// the journal, fsynced, before the client hears it succeeded.
func (h *registryHandler) persist(r *http.Request, body []byte) error {
	rec := journalRecord{Op: "delete", Path: r.URL.Path}
	if r.Method == http.MethodPut {
		d, _, err := v1.SHA256(bytes.NewReader(body))
		if err != nil {
			return err
		}
		if _, err := h.blobs.Stat(r.Context(), "", d); err != nil {
			if err := h.blobs.Put(r.Context(), "", d, nopCloser{bytes.NewReader(body)}); err != nil {
				return err
			}
		}
		rec = journalRecord{Op: "put", Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Digest: d}
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := flock.Exclusive(r.Context(), h.journal+".lock")
	if err != nil {
		return err
	}
	defer l.Unlock()
	f, err := os.OpenFile(h.journal, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	// A writer killed half-way through its line leaves no newline at the
	// end: start a line of our own, or ours would be glued to the torn
	// one and both lost on replay.
	if torn, err := tornTail(f); err != nil {
		return err
	} else if torn {
		line = append([]byte{'\n'}, line...)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return err
	}
	return f.Sync()
}

// tornTail reports whether f is non-empty and does not end with a newline.
func tornTail(f *os.File) (bool, error) {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false, err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
		return false, err
	}
	return last[0] != '\n', nil
}

// catchUp replays the journal lines other processes appended since the
// last replay, so that several processes (a `registry serve` and the
// in-process registries of push and pull commands) sharing one folder see
// each other's manifests. It costs one stat when nothing changed.
func (h *registryHandler) catchUp(ctx context.Context) error {
	h.writes.Lock()
	defer h.writes.Unlock()
	fi, err := os.Stat(h.journal)
	if errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == h.replayed {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry journal: %w", err)
	}
	return h.replay(ctx)
}

// replay feeds the journal from where the last replay stopped back to the
// inner registry, in order, so that index manifests find the manifests
// they list. Only whole lines are replayed: a torn last line (its writer
// died, or is still writing) is left for later, and skipped for good once
// a newline follows it. The caller holds h.writes (or is NewRegistry).
func (h *registryHandler) replay(ctx context.Context) error {
	l, err := flock.Shared(ctx, h.journal+".lock")
	if err != nil {
		return fmt.Errorf("registry journal: %w", err)
	}
	defer l.Unlock()
	f, err := os.Open(h.journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry journal: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(h.replayed, io.SeekStart); err != nil {
		return fmt.Errorf("registry journal: %w", err)
	}
	rd := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := rd.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // an incomplete line, if any, waits for its newline
		}
		if err != nil {
			return fmt.Errorf("registry journal: %w", err)
		}
		h.replayed += int64(len(line))
		if err := h.replayLine(line); err != nil {
			return err
		}
	}
}

// replayLine applies one journal record to the inner registry.
func (h *registryHandler) replayLine(line []byte) error {
	var rec journalRecord
	if json.Unmarshal(line, &rec) != nil || !strings.HasPrefix(rec.Path, "/v2/") {
		return nil
	}
	req := httptest.NewRequest(http.MethodDelete, rec.Path, nil)
	if rec.Op == "put" {
		rc, err := h.blobs.Get(req.Context(), "", rec.Digest)
		if err != nil {
			return nil // its bytes were lost; the manifest is gone
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("registry journal: manifest %s: %w", rec.Digest, err)
		}
		req = httptest.NewRequest(http.MethodPut, rec.Path, &buf)
		req.Header.Set("Content-Type", rec.ContentType)
	}
	h.inner.ServeHTTP(httptest.NewRecorder(), req)
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
