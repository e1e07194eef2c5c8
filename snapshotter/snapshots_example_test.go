package snapshotter_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossdock/crossdock/snapshotter"
)

// exampleTar builds an uncompressed layer of files ("name=body"); a body
// of "/" makes a folder.
func exampleTar(files ...string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		name, body, _ := strings.Cut(f, "=")
		hdr := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}
		if body == "/" {
			hdr = &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}
		}
		tw.WriteHeader(hdr)
		io.WriteString(tw, strings.TrimSuffix(body, "/"))
	}
	tw.Close()
	return buf.Bytes()
}

func exampleLayer(files ...string) v1.Layer {
	b := exampleTar(files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		panic(err)
	}
	return l
}

func ExampleApply() {
	root, _ := os.MkdirTemp("", "example-apply-")
	defer os.RemoveAll(root)

	// A merged rootfs: the second layer deletes etc/motd.
	ctx := context.Background()
	for _, layer := range [][]byte{
		exampleTar("etc/=/", "etc/motd=hello", "etc/hostname=robot"),
		exampleTar("etc/.wh.motd="),
	} {
		if err := snapshotter.Apply(ctx, root, bytes.NewReader(layer), snapshotter.WithMerged()); err != nil {
			fmt.Println(err)
		}
	}

	// An entry that climbs out of the root fails the layer.
	err := snapshotter.Apply(ctx, root, bytes.NewReader(exampleTar("../../x=bad")), snapshotter.WithMerged())
	fmt.Println(err)

	names, _ := filepath.Glob(filepath.Join(root, "etc", "*"))
	for _, n := range names {
		fmt.Println(filepath.Base(n))
	}
	// Output:
	// apply layer (unnamed): entry "../../x": path climbs out of the root
	// hostname
}

func ExampleSnapshots_Prepare() {
	dir, _ := os.MkdirTemp("", "example-snapshots-")
	defer os.RemoveAll(dir)

	base := exampleLayer("bin/=/", "bin/sh=#!")
	app := exampleLayer("app=main")
	snaps := snapshotter.NewSnapshots(dir)
	dirs, err := snaps.Prepare(context.Background(), []v1.Layer{base, app})
	if err != nil {
		fmt.Println(err)
		return
	}

	// One folder per layer, lowest first: reverse them for lowerdir=.
	for _, d := range dirs {
		chain := filepath.Base(filepath.Dir(d))
		fmt.Println(chain[:len("sha256-")]+"...", filepath.Base(d))
	}
	// Output:
	// sha256-... fs
	// sha256-... fs
}

func ExampleFlatten() {
	dir, _ := os.MkdirTemp("", "example-flatten-")
	defer os.RemoveAll(dir)

	layers := []v1.Layer{
		exampleLayer("a/=/", "a/b/=/", "a/b/foo=x", "c/=/", "c/bar=y"),
		exampleLayer("a/=/", "a/.wh..wh..opq="), // hides a/b
	}
	dirs, err := snapshotter.NewSnapshots(dir).Prepare(context.Background(), layers)
	if err != nil {
		fmt.Println(err)
		return
	}

	var out bytes.Buffer
	if err := snapshotter.Flatten(context.Background(), dirs, &out); err != nil {
		fmt.Println(err)
		return
	}
	tr := tar.NewReader(&out)
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		fmt.Println(hdr.Name)
	}
	// Output:
	// a/
	// c/
	// c/bar
}
