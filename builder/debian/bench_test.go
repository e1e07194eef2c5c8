package debian

import (
	"archive/tar"
	"io"
	"testing"
)

// BenchmarkUnpack walks every entry of the python3-minimal set for armhf
// (18 packages, about 10 MB of .deb), reading all content, as a layer
// writer would. Compare with: for f in DEBS; do dpkg-deb --fsys-tarfile $f; done.
func BenchmarkUnpack(b *testing.B) {
	debs := fetchDebs(b, "armhf", "python3-minimal")
	var total int64
	for _, d := range debs {
		total += d.Size
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		err := Unpack(debs, func(hdr *tar.Header, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
