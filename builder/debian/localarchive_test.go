package debian

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// localArchive serves, on 127.0.0.1, an archive made in the test: one
// gzip-compressed Packages file per component for armhf (no xz, no
// by-hash), and an InRelease signed by a test key that the returned
// Archive trusts.
func localArchive(t *testing.T, components map[string]string) Archive {
	t.Helper()
	key, keyring := testKey(t)
	files := map[string][]byte{}
	var sums strings.Builder
	for _, comp := range sortedKeys(components) {
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		_, err := w.Write([]byte(components[comp]))
		assert.NilError(t, err)
		assert.NilError(t, w.Close())
		name := comp + "/binary-armhf/Packages.gz"
		files["/dists/local/"+name] = gz.Bytes()
		sum := sha256.Sum256(gz.Bytes())
		fmt.Fprintf(&sums, " %s %d %s\n", hex.EncodeToString(sum[:]), gz.Len(), name)
	}
	release := "Origin: crossdock test\nSuite: local\nArchitectures: armhf\nComponents: " +
		strings.Join(sortedKeys(components), " ") + "\nSHA256:\n" + sums.String()
	files["/dists/local/InRelease"] = clearsignWith(t, key, []byte(release))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return Archive{Mirror: srv.URL, Suite: "local", Components: sortedKeys(components), Keyring: keyring}
}

func TestIndexGzipAndComponents(t *testing.T) {
	a := localArchive(t, map[string]string{
		"main":    stanza("app", "1.0", "armhf", "Depends: libfree, libnonfree"),
		"contrib": stanza("libnonfree", "2", "armhf") + stanza("libfree", "1", "all"),
	})
	ix, err := a.Index(context.Background(), "armhf", WithCacheDir(t.TempDir()))
	assert.NilError(t, err)
	assert.Equal(t, ix.Len(), 3)

	pkgs, err := ix.Resolve([]string{"app"}, ResolveOptions{})
	assert.NilError(t, err)
	assert.DeepEqual(t, names(pkgs), []string{"app", "libfree", "libnonfree"})
	for _, p := range pkgs {
		assert.Equal(t, p.Mirror, a.Mirror)
	}

	// A component the release does not list.
	b := a
	b.Components = append(slices.Clone(a.Components), "non-free")
	_, err = b.Index(context.Background(), "armhf", WithCacheDir(t.TempDir()))
	assert.ErrorContains(t, err, "lists no non-free/binary-armhf/Packages.xz")
}

func TestDownloadRetries(t *testing.T) {
	content := []byte("a .deb, say")
	sum := sha256.Sum256(content)
	p := Package{Name: "x", Filename: "pool/x.deb", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}

	cases := []struct {
		name     string
		failures []int // status codes answered before the content
		requests int
		err      string
	}{
		{name: "served at once", requests: 1},
		{name: "two server errors, then served", failures: []int{503, 502}, requests: 3},
		{name: "three server errors", failures: []int{503, 500, 503}, requests: 3, err: "503 Service Unavailable"},
		{name: "missing: no retry", failures: []int{404}, requests: 1, err: "404 Not Found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n := requests
				requests++
				mu.Unlock()
				if n < len(tc.failures) {
					w.WriteHeader(tc.failures[n])
					return
				}
				w.Write(content)
			}))
			defer srv.Close()

			_, err := Fetch(context.Background(), Archive{Mirror: srv.URL}, p, t.TempDir(),
				withBackoff(time.Millisecond))
			if tc.err == "" {
				assert.NilError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.err)
				assert.ErrorContains(t, err, srv.URL+"/pool/x.deb")
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, requests, tc.requests)
		})
	}
}
