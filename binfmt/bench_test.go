package binfmt_test

import (
	"testing"

	"github.com/crossdock/crossdock/binfmt"
)

// BenchmarkIdentifyFile measures identifying one cross-compiled binary,
// the cost `crossdock verify` pays per file in an image.
func BenchmarkIdentifyFile(b *testing.B) {
	prog := buildProg(b, "arm", "7")
	for b.Loop() {
		if _, err := binfmt.IdentifyFile(prog); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck measures the doctor's check that the runner makes before
// every container, on this host's binfmt_misc.
func BenchmarkCheck(b *testing.B) {
	if _, err := binfmt.Check("linux/arm/v7"); err != nil {
		b.Skipf("linux/arm/v7 does not run here: %v", err)
	}
	for b.Loop() {
		binfmt.Check("linux/arm/v7")
	}
}
