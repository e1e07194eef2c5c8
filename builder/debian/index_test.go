package debian

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestIndexReal(t *testing.T) {
	for _, arch := range []string{"armhf", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			ix := realIndex(t, arch) // fails unless InRelease verifies
			assert.Assert(t, ix.Len() > 10000, "only %d packages", ix.Len())
			assert.Assert(t, is.Contains(ix.SignedBy, "Debian"), ix.SignedBy)

			libc, ok := ix.Lookup("libc6")
			assert.Assert(t, ok)
			assert.Equal(t, libc.Architecture, arch)
			assert.Equal(t, len(libc.SHA256), 64)
			assert.Assert(t, is.Contains(libc.Filename, "pool/main/g/glibc/libc6_"))

			ros, ok := ix.Lookup("ros-core")
			assert.Assert(t, ok)
			assert.Equal(t, ros.Architecture, "all")
		})
	}
}

// mirrorCopy serves, on 127.0.0.1, an InRelease the test chooses and the
// armhf Packages.xz that the real index left in the test cache, so that
// each can be tampered with.
type mirrorCopy struct {
	mu         sync.Mutex
	files      map[string][]byte // URL path -> content
	byHashPath string            // where the armhf Packages.xz is served
	release    []byte            // the genuine InRelease
	plain      []byte            // its signed text
}

func newMirrorCopy(t *testing.T) (*mirrorCopy, Archive) {
	t.Helper()
	real := realIndex(t, "armhf").Archive
	o := newOptions([]Option{WithCacheDir(testCache)})
	inRelease, err := o.get(context.Background(), real.url("dists/"+real.Suite+"/InRelease"))
	assert.NilError(t, err)
	keys, err := readKeyring(real.keyring())
	assert.NilError(t, err)
	rel, err := verifyRelease("genuine", inRelease, keys, time.Now())
	assert.NilError(t, err)
	block, _ := clearsign.Decode(inRelease)

	sum := rel.files["main/binary-armhf/Packages.xz"].sha256
	packages, err := os.ReadFile(o.cachePath(sum))
	assert.NilError(t, err, "the real armhf index should have cached %s", sum)

	m := &mirrorCopy{
		files:      map[string][]byte{},
		byHashPath: "/dists/" + real.Suite + "/main/binary-armhf/by-hash/SHA256/" + sum,
		release:    inRelease, plain: block.Plaintext,
	}
	m.files["/dists/"+real.Suite+"/InRelease"] = inRelease
	m.files[m.byHashPath] = packages

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		data, ok := m.files[r.URL.Path]
		m.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)

	a := real
	a.Mirror = srv.URL
	return m, a
}

func (m *mirrorCopy) setRelease(a Archive, data []byte) {
	m.set("/dists/"+a.Suite+"/InRelease", data)
}

func (m *mirrorCopy) set(path string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[path] = data
}

// testKey makes a signing key and writes its public half as an armored
// keyring file.
func testKey(t *testing.T) (*openpgp.Entity, string) {
	t.Helper()
	e, err := openpgp.NewEntity("crossdock test archive", "", "test@crossdock.invalid",
		&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	assert.NilError(t, err)
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	assert.NilError(t, err)
	assert.NilError(t, e.Serialize(w))
	assert.NilError(t, w.Close())
	path := filepath.Join(t.TempDir(), "test-keyring.asc")
	assert.NilError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return e, path
}

func clearsignWith(t *testing.T, e *openpgp.Entity, text []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := clearsign.Encode(&buf, e.PrivateKey, nil)
	assert.NilError(t, err)
	_, err = w.Write(text)
	assert.NilError(t, err)
	assert.NilError(t, w.Close())
	return buf.Bytes()
}

func TestIndexVerification(t *testing.T) {
	m, a := newMirrorCopy(t)
	key, keyring := testKey(t)
	sum := m.byHashPath[strings.LastIndex(m.byHashPath, "/")+1:]

	// One character of the signed text changed: the armhf index's digest.
	tampered := bytes.Replace(m.release, []byte(sum[:16]), []byte("0123456789abcdef"), 1)
	assert.Assert(t, !bytes.Equal(tampered, m.release))

	expired := bytes.Replace(m.plain, []byte("\n"), []byte("\nValid-Until: Sat, 01 Jan 2000 00:00:00 UTC\n"), 1)
	badPackages := bytes.Clone(m.files[m.byHashPath])
	badPackages[len(badPackages)/2] ^= 0xff

	cases := []struct {
		name     string
		release  []byte
		packages []byte
		keyring  string
		err      []string // substrings; none means success
	}{
		{name: "genuine copy", release: m.release},
		{name: "one byte of the signed text changed", release: tampered,
			err: []string{a.Mirror + "/dists/" + a.Suite + "/InRelease", "bad signature"}},
		{name: "signature removed", release: m.plain,
			err: []string{"/InRelease", "not a clearsigned release file"}},
		{name: "signed by a key not in the keyring", release: clearsignWith(t, key, m.plain),
			err: []string{"/InRelease", "bad signature"}},
		{name: "signed by the key in the given keyring", release: clearsignWith(t, key, m.plain), keyring: keyring},
		{name: "expired release", release: clearsignWith(t, key, expired), keyring: keyring,
			err: []string{"/InRelease", "expired"}},
		{name: "Packages.xz not matching the signed sha256", release: m.release, packages: badPackages,
			err: []string{a.Mirror + m.byHashPath, "sha256 mismatch", sum}},
	}
	good := m.files[m.byHashPath]
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m.setRelease(a, tc.release)
			if tc.packages != nil {
				m.set(m.byHashPath, tc.packages)
				defer m.set(m.byHashPath, good)
			}
			arch := a
			if tc.keyring != "" {
				arch.Keyring = tc.keyring
			}

			// Successes share the test cache (and its parsed index); each
			// failure gets an empty cache, to show nothing is kept.
			cache := testCache
			if len(tc.err) > 0 {
				cache = t.TempDir()
			}
			ix, err := arch.Index(context.Background(), "armhf", WithCacheDir(cache))
			if len(tc.err) == 0 {
				assert.NilError(t, err)
				assert.Equal(t, ix.Len(), realIndex(t, "armhf").Len())
				if tc.keyring != "" {
					assert.Equal(t, ix.SignedBy, "crossdock test archive <test@crossdock.invalid>")
				}
				return
			}
			assert.Assert(t, err != nil)
			t.Log(err)
			for _, want := range tc.err {
				assert.ErrorContains(t, err, want)
			}
			// Nothing that failed its check is kept in the cache.
			leftovers, _ := filepath.Glob(filepath.Join(cache, "sha256", "*"))
			assert.Assert(t, is.Len(leftovers, 0))
		})
	}
}

func TestIndexUnknownArchitecture(t *testing.T) {
	_, a := newMirrorCopy(t)
	_, err := a.Index(context.Background(), "pdp11", WithCacheDir(t.TempDir()))
	assert.ErrorContains(t, err, "main/binary-pdp11/Packages.xz")
}

func TestDigestMismatchIsSentinel(t *testing.T) {
	m, a := newMirrorCopy(t)
	m.set(m.byHashPath, []byte("not an index"))
	_, err := a.Index(context.Background(), "armhf", WithCacheDir(t.TempDir()))
	assert.Assert(t, errors.Is(err, ErrDigestMismatch), "%v", err)
}
