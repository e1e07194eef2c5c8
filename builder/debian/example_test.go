package debian_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/builder/debian"
)

// The whole path from a platform and package names to the entries of a
// layer: archive, signed index, resolution, verified download, unpacking
// with the maintainer-script fixups.
func Example() {
	ctx := context.Background()
	archive, err := debian.HostArchive()
	if err != nil {
		log.Fatal(err)
	}
	arch, err := debian.ArchForPlatform(v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	if err != nil {
		log.Fatal(err)
	}

	cache := debian.WithCacheDir("/var/cache/crossdock/debian")
	index, err := archive.Index(ctx, arch, cache)
	if err != nil {
		log.Fatal(err)
	}
	pkgs, err := index.Resolve([]string{"python3-minimal"}, debian.ResolveOptions{})
	if err != nil {
		log.Fatal(err)
	}
	debs, err := debian.FetchAll(ctx, archive, pkgs, "/var/cache/crossdock/debian")
	if err != nil {
		log.Fatal(err)
	}

	err = debian.Unpack(debs, func(hdr *tar.Header, r io.Reader) error {
		fmt.Println(hdr.Name) // a layer writer would add the entry here
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

func ExampleArchForPlatform() {
	for _, p := range []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm", Variant: "v7"},
		{OS: "linux", Architecture: "arm", Variant: "v6"},
	} {
		arch, err := debian.ArchForPlatform(p)
		fmt.Println(arch, err)
	}
	// Output:
	// amd64 <nil>
	// armhf <nil>
	//  platform linux/arm/v6: Debian has no ARMv6 architecture (armhf needs v7; armel is v5 soft-float)
}

func ExampleIndex_Resolve() {
	archive, err := debian.HostArchive()
	if err != nil {
		log.Fatal(err)
	}
	index, err := archive.Index(context.Background(), "amd64")
	if err != nil {
		log.Fatal(err)
	}
	// Only what busybox-static declares: no essential base system.
	pkgs, err := index.Resolve([]string{"busybox-static"}, debian.ResolveOptions{OmitEssential: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pkgs {
		fmt.Println(p.Name, p.Architecture, p.Filename)
	}
}

func ExampleFetch() {
	ctx := context.Background()
	archive, err := debian.HostArchive()
	if err != nil {
		log.Fatal(err)
	}
	index, err := archive.Index(ctx, "armhf")
	if err != nil {
		log.Fatal(err)
	}
	p, ok := index.Lookup("busybox-static")
	if !ok {
		log.Fatal("no busybox-static")
	}
	path, err := debian.Fetch(ctx, archive, p, "") // "" = the default cache
	if err != nil {
		log.Fatal(err)
	}
	err = debian.DataEntries(path, func(hdr *tar.Header, r io.Reader) error {
		fmt.Println(hdr.Name)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// An image based on bookworm gets the security and point-release updates
// that the host's apt sources name, each .deb fetched from its own archive.
func ExampleMergeIndexes() {
	ctx := context.Background()
	host, err := debian.HostArchives()
	if err != nil {
		log.Fatal(err)
	}
	var indexes []*debian.Index
	for _, a := range debian.SuiteArchives(host, "bookworm") {
		ix, err := a.Index(ctx, "armhf")
		if err != nil {
			log.Fatal(err)
		}
		indexes = append(indexes, ix)
	}
	merged, err := debian.MergeIndexes(indexes...)
	if err != nil {
		log.Fatal(err)
	}
	pkgs, err := merged.Resolve([]string{"python3-minimal"}, debian.ResolveOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pkgs {
		fmt.Println(p, p.Mirror)
	}
}
