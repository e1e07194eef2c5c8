package builder

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/stargz-snapshotter/estargz"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// helloBuilds builds examples/hello-go twice, from two copies of the example
// in two folders with two separate caches, once per test binary.
var helloBuilds = sync.OnceValues(func() ([2]*Result, error) {
	var out [2]*Result
	for i := range out {
		dir, err := os.MkdirTemp(testRoot, "hello-")
		if err != nil {
			return out, err
		}
		if err := os.Mkdir(filepath.Join(dir, "src"), 0o755); err != nil {
			return out, err
		}
		ctx := filepath.Join(dir, "src", "hello-go")
		if out, err := exec.Command("cp", "-r", "../examples/hello-go", ctx).CombinedOutput(); err != nil {
			return [2]*Result{}, fmt.Errorf("copy the example: %w: %s", err, out)
		}
		s, err := Load(filepath.Join(ctx, "crossdock.yaml"))
		if err != nil {
			return out, err
		}
		// WithLocked: the committed lockfile must pin everything.
		if out[i], err = Build(context.Background(), s, WithLocked(),
			WithCacheDir(filepath.Join(dir, "cache"))); err != nil {
			return out, err
		}
	}
	return out, nil
})

func TestHelloGoIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds u-root twice (about a minute)")
	}
	res, err := helloBuilds()
	assert.NilError(t, err)
	assert.Equal(t, res[0].Digest, res[1].Digest, "two folders, two caches, two digests")

	im, err := res[0].Index.IndexManifest()
	assert.NilError(t, err)
	assert.Equal(t, len(im.Manifests), 2)
	assert.DeepEqual(t, *im.Manifests[0].Platform,
		v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	assert.DeepEqual(t, *im.Manifests[1].Platform, v1.Platform{OS: "linux", Architecture: "amd64"})
}

// P1: every arm image records variant v7 in the index entry and in the
// image config; amd64 has no variant.
func TestHelloGoVariantInIndexAndConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds u-root")
	}
	res, err := helloBuilds()
	assert.NilError(t, err)
	im, err := res[0].Index.IndexManifest()
	assert.NilError(t, err)
	for _, d := range im.Manifests {
		img, err := res[0].Index.Image(d.Digest)
		assert.NilError(t, err)
		cf, err := img.ConfigFile()
		assert.NilError(t, err)
		assert.Equal(t, cf.Architecture, d.Platform.Architecture)
		assert.Equal(t, cf.Variant, d.Platform.Variant)
		if d.Platform.Architecture == "arm" {
			assert.Equal(t, cf.Variant, "v7")
		}
		assert.Equal(t, cf.Created.Unix(), int64(1700000000))
		assert.Equal(t, cf.Config.Hostname, "")
		assert.DeepEqual(t, cf.Config.Entrypoint, []string{"/usr/bin/hello-go"})
	}
}

// The entrypoint is an ELF for the platform's machine: ARM for arm/v7,
// x86-64 for amd64. Read from the layer, not from the build folder.
func TestHelloGoBinaryArchitecture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds u-root")
	}
	res, err := helloBuilds()
	assert.NilError(t, err)
	im, _ := res[0].Index.IndexManifest()
	want := map[string]elf.Machine{"arm": elf.EM_ARM, "amd64": elf.EM_X86_64}
	for _, d := range im.Manifests {
		img, _ := res[0].Index.Image(d.Digest)
		for _, name := range []string{"usr/bin/hello-go", "bin/bb"} {
			f := readFromImage(t, img, name)
			e, err := elf.NewFile(f)
			assert.NilError(t, err, "%s %s", d.Platform, name)
			assert.Equal(t, e.Machine, want[d.Platform.Architecture], "%s %s", d.Platform, name)
			assert.Equal(t, e.Class, map[string]elf.Class{"arm": elf.ELFCLASS32,
				"amd64": elf.ELFCLASS64}[d.Platform.Architecture])
		}
	}
}

// Every layer is eStargz: its descriptor carries the TOC digest and the
// uncompressed size, the TOC verifies against the annotation, and the
// entrypoint is prioritized (before the prefetch landmark).
func TestHelloGoLayersAreEStargz(t *testing.T) {
	if testing.Short() {
		t.Skip("builds u-root")
	}
	res, err := helloBuilds()
	assert.NilError(t, err)
	im, _ := res[0].Index.IndexManifest()
	img, _ := res[0].Index.Image(im.Manifests[0].Digest)
	m, err := img.Manifest()
	assert.NilError(t, err)
	layers, _ := img.Layers()
	for i, d := range m.Layers {
		toc := d.Annotations[estargz.TOCJSONDigestAnnotation]
		assert.Check(t, toc != "", "layer %d has no TOC digest", i)
		assert.Check(t, d.Annotations[estargz.StoreUncompressedSizeAnnotation] != "")
		blob := readAll(t, layers[i])
		r, err := estargz.Open(io.NewSectionReader(blob, 0, int64(blob.Len())))
		assert.NilError(t, err)
		_, err = r.VerifyTOC(digest.Digest(toc))
		assert.NilError(t, err, "layer %d", i)
		if i == 1 {
			_, ok := r.Lookup(estargz.PrefetchLandmark)
			assert.Check(t, ok, "entrypoint layer has no prefetch landmark")
		}
	}
	assert.Check(t, is.Len(m.Layers, 2))
}

// BenchmarkRebuildHello measures a rebuild of examples/hello-go with a warm
// cache after its program changed: two Go cross-compiles, one new layer per
// platform, the index. Compare with tools/bench/hello-ko.sh.
func BenchmarkRebuildHello(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "hello-go")
	if out, err := exec.Command("cp", "-r", "../examples/hello-go", src).CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	s, err := Load(filepath.Join(src, "crossdock.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	main := filepath.Join(src, "main.go")
	orig, err := os.ReadFile(main)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i <= b.N; i++ {
		if i == 1 {
			b.ResetTimer() // the first build fills the cache
		}
		edited := strings.Replace(string(orig), "hello, %s", fmt.Sprintf("hello #%d, %%s", i), 1)
		if err := os.WriteFile(main, []byte(edited), 0o644); err != nil {
			b.Fatal(err)
		}
		if _, err := Build(context.Background(), s, WithLocked(), WithCacheDir(cache)); err != nil {
			b.Fatal(err)
		}
	}
}
