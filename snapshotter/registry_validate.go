package snapshotter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// repoNameRE is the distribution spec's repository name grammar.
var repoNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$`)

// apiError answers with the distribution API's error body.
func apiError(w http.ResponseWriter, status int, code, format string, a ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": fmt.Sprintf(format, a...)}}})
	w.Write(body) //nolint:errcheck // the client went away
}

// repoOf returns the repository name of /v2/<name>/<kind>/..., and false
// for paths that name none (/v2/, /v2/_catalog).
func repoOf(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", false
	}
	for _, kind := range []string{"/blobs/", "/manifests/", "/tags/"} {
		if i := strings.LastIndex(rest, kind); i >= 0 {
			return rest[:i], true
		}
	}
	return "", false
}

// checkRequest refuses, before the inner registry sees it, a request with
// an invalid repository name or digest, and a manifest PUT whose body does
// not match its digest, is not a JSON manifest, or names blobs the
// registry does not have. It reports whether it answered.
func (h *registryHandler) checkRequest(w http.ResponseWriter, r *http.Request, kind, target string) bool {
	repo, ok := repoOf(r.URL.Path)
	if !ok {
		return false
	}
	if len(repo) > 255 || !repoNameRE.MatchString(repo) {
		apiError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name %q", repo)
		return true
	}
	if kind == "blobs" && strings.Contains(target, ":") {
		if _, err := v1.NewHash(target); err != nil {
			apiError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest %q", target)
			return true
		}
	}
	if kind == "manifests" && strings.Contains(target, ":") {
		if _, err := v1.NewHash(target); err != nil {
			apiError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest %q", target)
			return true
		}
	}
	return false
}

// checkManifest validates a manifest PUT's body; it reports whether it
// answered (with an error).
func (h *registryHandler) checkManifest(w http.ResponseWriter, r *http.Request, target string, body []byte) bool {
	if want, err := v1.NewHash(target); err == nil {
		got, _, _ := v1.SHA256(strings.NewReader(string(body)))
		if got != want {
			apiError(w, http.StatusBadRequest, "DIGEST_INVALID", "manifest body hashes to %s, not %s", got, want)
			return true
		}
	}
	var m struct {
		SchemaVersion int             `json:"schemaVersion"`
		Config        *v1.Descriptor  `json:"config"`
		Layers        []v1.Descriptor `json:"layers"`
		Manifests     []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.SchemaVersion != 2 || m.Config == nil && m.Manifests == nil {
		apiError(w, http.StatusBadRequest, "MANIFEST_INVALID", "not a schema 2 image manifest or index")
		return true
	}
	var blobs []v1.Descriptor
	if m.Config != nil {
		blobs = append(append(blobs, *m.Config), m.Layers...)
	}
	for _, d := range blobs {
		if _, err := h.blobs.Stat(r.Context(), "", d.Digest); err != nil {
			apiError(w, http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", "blob %s is not in the registry", d.Digest)
			return true
		}
	}
	return false
}
