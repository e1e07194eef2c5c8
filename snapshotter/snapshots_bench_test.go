package snapshotter

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossdock/crossdock/internal/testhost"
)

// Unpack benchmark: a ~200 MB image of 4 gzip layers, each of many files
// of mixed sizes (half random, half repetitive text, so gzip has work),
// unpacked by Snapshots.Prepare (gunzip, overlay-form apply, diffID check,
// syncfs, rename) and by `tar -xzf` of the same layer files into one
// folder. Run:
//
//	go test -run '^$' -bench Unpack -benchtime 3x ./snapshotter/
const (
	benchLayers     = 4
	benchLayerBytes = 50 << 20 // uncompressed file content per layer
)

func BenchmarkUnpack(b *testing.B) {
	testhost.RequireRoot(b)
	tarBin := testhost.RequireProgram(b, "tar", "tar")
	work, err := os.MkdirTemp("", "crossdock-bench-unpack-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(work) })

	var files []string
	var layers []v1.Layer
	var total int64
	for i := range benchLayers {
		f, n := benchWriteLayer(b, work, i)
		l, err := tarball.LayerFromFile(f)
		if err != nil {
			b.Fatal(err)
		}
		files, layers, total = append(files, f), append(layers, l), total+n
	}

	b.Run("crossdock", func(b *testing.B) {
		b.SetBytes(total)
		for i := 0; b.Loop(); i++ {
			dir := filepath.Join(work, fmt.Sprintf("snapshots-%d", i))
			if _, err := NewSnapshots(dir).Prepare(context.Background(), layers); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.RemoveAll(dir)
			b.StartTimer()
		}
	})
	b.Run("tar", func(b *testing.B) {
		b.SetBytes(total)
		for i := 0; b.Loop(); i++ {
			dir := filepath.Join(work, fmt.Sprintf("tar-%d", i))
			if err := os.Mkdir(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				if out, err := exec.Command(tarBin, "-xzf", f, "-C", dir).CombinedOutput(); err != nil {
					b.Fatalf("tar -xzf %s: %v: %s", f, err, out)
				}
			}
			b.StopTimer()
			os.RemoveAll(dir)
			b.StartTimer()
		}
	})
}

// benchWriteLayer writes layer i as work/layer-i.tar.gz and returns its
// path and the bytes of file content in it.
func benchWriteLayer(b *testing.B, work string, i int) (string, int64) {
	b.Helper()
	p := filepath.Join(work, fmt.Sprintf("layer-%d.tar.gz", i))
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	rnd := rand.New(rand.NewPCG(uint64(i), 42))
	text := []byte("the quick brown fox jumps over the lazy robot, layer after layer.\n")

	var total int64
	for n := 0; total < benchLayerBytes; n++ {
		dir := fmt.Sprintf("layer%d/d%03d/", i, n/100)
		if n%100 == 0 {
			benchWrite(b, tw, &tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755}, nil)
		}
		body := benchBody(rnd, text)
		name := fmt.Sprintf("%sf%05d", dir, n)
		benchWrite(b, tw, &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, body)
		total += int64(len(body))
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return p, total
}

// benchBody returns a file body: mostly small files, some of a few hundred
// KiB, a few of several MiB.
func benchBody(rnd *rand.Rand, text []byte) []byte {
	var size int
	switch r := rnd.IntN(100); {
	case r < 80:
		size = 512 + rnd.IntN(16<<10)
	case r < 98:
		size = 64<<10 + rnd.IntN(512<<10)
	default:
		size = 2<<20 + rnd.IntN(4<<20)
	}
	body := make([]byte, size)
	half := size / 2
	for j := 0; j+8 <= half; j += 8 {
		v := rnd.Uint64()
		for k := range 8 {
			body[j+k] = byte(v >> (8 * k))
		}
	}
	for j := half; j < size; j++ {
		body[j] = text[j%len(text)]
	}
	return body
}

func benchWrite(b *testing.B, tw *tar.Writer, hdr *tar.Header, body []byte) {
	if err := tw.WriteHeader(hdr); err != nil {
		b.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		b.Fatal(err)
	}
}
