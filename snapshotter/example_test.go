package snapshotter_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/snapshotter"
)

// Store an index, push it to an embedded registry, pull one platform back.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	addr, stop, err := snapshotter.ServeRegistry(ctx, "127.0.0.1:0", dir+"/registry")
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	img, _ := random.Image(256, 1)
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img,
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm"}}})

	s, _ := snapshotter.Open(dir + "/a")
	ref := addr + "/owner/robot:v1"
	if _, err := s.WriteIndex(ctx, ref, idx); err != nil {
		log.Fatal(err)
	}
	if err := s.Push(ctx, ref); err != nil {
		log.Fatal(err)
	}

	t, _ := snapshotter.Open(dir + "/b")
	if _, err := t.Pull(ctx, ref, snapshotter.WithPlatform("linux/arm/v7")); err != nil {
		log.Fatal(err)
	}
	_, err = t.Image(ctx, ref, "linux/amd64")
	fmt.Println(err != nil)
	// Output: true
}

func ExampleSelectManifest() {
	img, _ := random.Image(64, 1)
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img,
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}}})

	d, _ := snapshotter.SelectManifest(idx, "linux/arm")
	fmt.Println(snapshotter.FormatPlatform(*d.Platform))
	_, err := snapshotter.SelectManifest(idx, "linux/arm64")
	fmt.Println(err)
	// Output:
	// linux/arm/v6
	// no manifest for platform linux/arm64 (on offer: linux/arm/v6)
}

func ExamplePlatforms() {
	img, _ := random.Image(64, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{snapshotter.AttestationAnnotation: "attestation-manifest"}}},
	)
	ps, _ := snapshotter.Platforms(idx)
	for _, p := range ps {
		fmt.Println(snapshotter.FormatPlatform(p))
	}
	// Output: linux/amd64
}

func ExampleParsePlatform() {
	p, _ := snapshotter.ParsePlatform("linux/arm")
	fmt.Println(snapshotter.FormatPlatform(p))
	_, err := snapshotter.ParsePlatform("linux/arm64/v7")
	fmt.Println(err)
	// Output:
	// linux/arm/v7
	// platform "linux/arm64/v7": arm64 has no variant "v7"
}
