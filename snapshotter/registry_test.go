package snapshotter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// Blob GET answers ranges with 206 and the right bytes.
func TestRegistryRange(t *testing.T) {
	addr := startEmbedded(t)
	img, err := random.Image(10000, 1)
	assert.NilError(t, err)
	ref, err := name.ParseReference(addr + "/owner/range:v1")
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(ref, img))

	layers, err := img.Layers()
	assert.NilError(t, err)
	d, err := layers[0].Digest()
	assert.NilError(t, err)
	rc, err := layers[0].Compressed()
	assert.NilError(t, err)
	whole, err := io.ReadAll(rc)
	assert.NilError(t, err)
	n := len(whole)
	url := fmt.Sprintf("http://%s/v2/owner/range/blobs/%s", addr, d)

	cases := []struct {
		name, rng string
		status    int
		want      []byte
	}{
		{name: "none", rng: "", status: 200, want: whole},
		{name: "closed", rng: "bytes=10-19", status: 206, want: whole[10:20]},
		{name: "open end", rng: fmt.Sprintf("bytes=%d-", n-7), status: 206, want: whole[n-7:]},
		{name: "suffix", rng: "bytes=-5", status: 206, want: whole[n-5:]},
		{name: "past end", rng: fmt.Sprintf("bytes=%d-", n+10), status: 416},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			assert.NilError(t, err)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := http.DefaultClient.Do(req)
			assert.NilError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			assert.NilError(t, err)
			assert.Equal(t, resp.StatusCode, tc.status)
			if tc.want != nil {
				assert.DeepEqual(t, body, tc.want)
				assert.Check(t, is.Equal(resp.Header.Get("Docker-Content-Digest"), d.String()))
			}
			if tc.status == 206 {
				assert.Check(t, is.Contains(resp.Header.Get("Content-Range"), fmt.Sprintf("/%d", n)))
			}
		})
	}
}

// Blobs and manifests outlive the registry process: a new registry on the
// same folder serves the same index.
func TestRegistryPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addr, stop, err := ServeRegistry(ctx, "127.0.0.1:0", dir)
	assert.NilError(t, err)
	idx := twoPlatformIndex(t, 512, 1)
	want := digests(t, idx)
	ref, err := name.ParseReference(addr + "/owner/keep:v1")
	assert.NilError(t, err)
	assert.NilError(t, remote.WriteIndex(ref, idx))
	stop()

	addr2, stop2, err := ServeRegistry(ctx, "127.0.0.1:0", dir, WithDelete())
	assert.NilError(t, err)
	defer stop2()
	ref2, err := name.ParseReference(addr2 + "/owner/keep:v1")
	assert.NilError(t, err)
	got, err := remote.Index(ref2)
	assert.NilError(t, err)
	assert.DeepEqual(t, digests(t, got), want)

	// DELETE is refused unless enabled.
	addrNoDel := startEmbedded(t)
	refNoDel, err := name.ParseReference(addrNoDel + "/owner/keep:v1")
	assert.NilError(t, err)
	assert.Check(t, is.ErrorContains(remote.Delete(refNoDel), "UNSUPPORTED"))

	// A deleted tag stays deleted after a restart.
	assert.NilError(t, remote.Delete(ref2))
	stop2()
	addr3, stop3, err := ServeRegistry(ctx, "127.0.0.1:0", dir)
	assert.NilError(t, err)
	defer stop3()
	ref3, err := name.ParseReference(addr3 + "/owner/keep:v1")
	assert.NilError(t, err)
	_, err = remote.Index(ref3)
	assert.Check(t, is.ErrorContains(err, "MANIFEST_UNKNOWN"))
}
