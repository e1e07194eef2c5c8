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
)

// BenchmarkPullEmbedded pulls a 3 x 8 MiB image from the embedded registry
// on loopback into a fresh store, every blob hashed and fsynced.
func BenchmarkPullEmbedded(b *testing.B) {
	ctx := context.Background()
	addr, stop, err := ServeRegistry(ctx, "127.0.0.1:0", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	img, err := random.Image(8<<20, 3)
	if err != nil {
		b.Fatal(err)
	}
	ref := addr + "/bench/pull:v1"
	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, img); err != nil {
		b.Fatal(err)
	}
	size := int64(0)
	layers, _ := img.Layers()
	for _, l := range layers {
		n, _ := l.Size()
		size += n
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Open(b.TempDir(), WithoutAutoServe())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Pull(ctx, ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRangeGet reads 1 MiB ranges of a 32 MiB blob from the embedded
// registry, as a lazy eStargz mount would.
func BenchmarkRangeGet(b *testing.B) {
	ctx := context.Background()
	addr, stop, err := ServeRegistry(ctx, "127.0.0.1:0", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	img, err := random.Image(32<<20, 1)
	if err != nil {
		b.Fatal(err)
	}
	r, _ := name.ParseReference(addr + "/bench/range:v1")
	if err := remote.Write(r, img); err != nil {
		b.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	url := fmt.Sprintf("http://%s/v2/bench/range/blobs/%s", addr, d)
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := int64(i%31) << 20
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+1<<20-1))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || n != 1<<20 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
	}
}
