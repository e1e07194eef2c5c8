package snapshotter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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
	f, err := os.OpenFile(h.journal, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return err
	}
	return f.Sync()
}

// replay feeds the journal back to the inner registry, in order, so that
// index manifests find the manifests they list. A torn last line (the
// process died while writing it) is skipped.
func (h *registryHandler) replay() error {
	f, err := os.Open(h.journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry journal: %w", err)
	}
	defer f.Close()

	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec journalRecord
		if json.Unmarshal(sc.Bytes(), &rec) != nil || !strings.HasPrefix(rec.Path, "/v2/") {
			continue
		}
		req := httptest.NewRequest(http.MethodDelete, rec.Path, nil)
		if rec.Op == "put" {
			rc, err := h.blobs.Get(req.Context(), "", rec.Digest)
			if err != nil {
				continue // its bytes were lost; the manifest is gone
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
	}
	return sc.Err()
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
