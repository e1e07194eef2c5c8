package snapshotter

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func imageDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	assert.NilError(t, err)
	return d
}

// A served registry and an in-process one on the same folder (a `registry
// serve` and a push that found nothing listening) see each other's
// manifests, tags moved included.
func TestRegistrySharedFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addr, stop, err := ServeRegistry(ctx, "127.0.0.1:0", dir)
	assert.NilError(t, err)
	defer stop()
	h, err := NewRegistry(dir)
	assert.NilError(t, err)
	p := newInProcess(h)
	defer p.Close()
	viaPipe := remote.WithTransport(p.Transport())

	img1, err := random.Image(512, 1)
	assert.NilError(t, err)
	inproc, err := name.ParseReference("127.0.0.1:1/owner/shared:v1", name.Insecure)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(inproc, img1, viaPipe))

	served, err := name.ParseReference(addr + "/owner/shared:v1")
	assert.NilError(t, err)
	got, err := remote.Image(served)
	assert.NilError(t, err, "the served registry must see the in-process push")
	assert.Check(t, is.Equal(imageDigest(t, got), imageDigest(t, img1)))

	img2, err := random.Image(512, 1)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(served, img2))
	got, err = remote.Image(inproc, viaPipe)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(imageDigest(t, got), imageDigest(t, img2)), "the moved tag must be seen")
}

// A journal whose last line was torn by a killed writer loses neither the
// lines before it nor the next push's.
func TestRegistryTornJournal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	push := func(tag string) v1.Hash {
		addr, stop, err := ServeRegistry(ctx, "127.0.0.1:0", dir)
		assert.NilError(t, err)
		defer stop()
		img, err := random.Image(256, 1)
		assert.NilError(t, err)
		r, err := name.ParseReference(addr + "/owner/torn:" + tag)
		assert.NilError(t, err)
		assert.NilError(t, remote.Write(r, img))
		return imageDigest(t, img)
	}
	want1 := push("v1")
	f, err := os.OpenFile(filepath.Join(dir, "manifests.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	assert.NilError(t, err)
	_, err = f.WriteString(`{"op":"put","path":"/v2/owner/torn/manif`)
	assert.NilError(t, err)
	assert.NilError(t, f.Close())
	want2 := push("v2")

	addr, stop, err := ServeRegistry(ctx, "127.0.0.1:0", dir)
	assert.NilError(t, err)
	defer stop()
	for tag, want := range map[string]v1.Hash{"v1": want1, "v2": want2} {
		r, err := name.ParseReference(addr + "/owner/torn:" + tag)
		assert.NilError(t, err)
		got, err := remote.Image(r)
		if assert.Check(t, err, tag) {
			assert.Check(t, is.Equal(imageDigest(t, got), want), tag)
		}
	}
}

// The embedded registry refuses bad names, digests and manifests with the
// distribution API's error codes, and tag and push refuse a digest
// reference that does not match the image.
func TestRegistryRefusesBadInput(t *testing.T) {
	addr := startEmbedded(t)
	img, err := random.Image(256, 1)
	assert.NilError(t, err)
	good, err := name.ParseReference(addr + "/owner/ok:v1")
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(good, img))
	raw, err := img.RawManifest()
	assert.NilError(t, err)
	cfg, err := img.ConfigName()
	assert.NilError(t, err)
	missing := strings.Replace(string(raw), cfg.Hex, strings.Repeat("1", 64), 1)

	zero := "sha256:" + strings.Repeat("1", 64)
	cases := []struct {
		name, method, path, body string
		code                     string
	}{
		{"digest mismatch", "PUT", "/v2/owner/ok/manifests/" + zero, string(raw), "DIGEST_INVALID"},
		{"not json", "PUT", "/v2/owner/ok/manifests/v2", "hello", "MANIFEST_INVALID"},
		{"missing blob", "PUT", "/v2/owner/ok/manifests/v3", missing, "MANIFEST_BLOB_UNKNOWN"},
		{"uppercase name", "PUT", "/v2/Tester/Junk/manifests/v1", string(raw), "NAME_INVALID"},
		{"dot-dot name", "GET", "/v2/../../../tmp/x/manifests/v1", "", "NAME_INVALID"},
		{"bad blob digest", "GET", "/v2/owner/ok/blobs/sha256:zz", "", "DIGEST_INVALID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://"+addr+tc.path, strings.NewReader(tc.body))
			assert.NilError(t, err)
			req.URL.Opaque = tc.path // keep ../ as sent
			req.Header.Set("Content-Type", string(types.OCIManifestSchema1))
			resp, err := http.DefaultClient.Do(req)
			assert.NilError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Check(t, resp.StatusCode >= 400, "status %d: %s", resp.StatusCode, body)
			assert.Check(t, is.Contains(string(body), tc.code))
		})
	}

	ctx := context.Background()
	s := openTemp(t)
	h, err := s.WriteImage(ctx, "owner/app:v1", img)
	assert.NilError(t, err)
	err = s.Tag(ctx, "owner/app:v1", "owner/app@"+zero)
	assert.Check(t, is.ErrorContains(err, zero))
	assert.NilError(t, s.Tag(ctx, "owner/app:v1", "owner/app@"+h.String()))
	err = s.Push(ctx, "owner/app:v1", WithTarget(addr+"/owner/app@"+zero))
	assert.Check(t, is.ErrorContains(err, zero))
}
