package debian

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gotest.tools/v3/assert"
)

// testCache keeps what the tests download between runs, named by sha256,
// so a rerun only fetches the release files again.
var testCache = filepath.Join(os.TempDir(), "crossdock-debian-test-cache")

// testArchive is the archive the host's apt uses; the tests read the real
// mirror it names.
func testArchive(t testing.TB) Archive {
	t.Helper()
	a, err := HostArchive()
	assert.NilError(t, err, "the tests need a deb entry in the host's apt sources")
	return a
}

var (
	indexMu sync.Mutex
	indexes = map[string]*Index{}
)

// realIndex reads the host archive's index for arch once per test binary.
func realIndex(t testing.TB, arch string) *Index {
	t.Helper()
	indexMu.Lock()
	defer indexMu.Unlock()
	if ix, ok := indexes[arch]; ok {
		return ix
	}
	ix, err := testArchive(t).Index(context.Background(), arch, WithCacheDir(testCache))
	assert.NilError(t, err)
	indexes[arch] = ix
	return ix
}

// fetchDebs resolves names without the essential set and fetches them.
func fetchDebs(t testing.TB, arch string, names ...string) []Deb {
	t.Helper()
	ix := realIndex(t, arch)
	pkgs, err := ix.Resolve(names, ResolveOptions{OmitEssential: true})
	assert.NilError(t, err)
	debs, err := FetchAll(context.Background(), ix.Archive, pkgs, testCache)
	assert.NilError(t, err)
	return debs
}

// fetchOnly fetches exactly the named packages, without their dependencies.
func fetchOnly(t *testing.T, arch string, names ...string) []Deb {
	t.Helper()
	ix := realIndex(t, arch)
	var pkgs []Package
	for _, n := range names {
		p, ok := ix.Lookup(n)
		assert.Assert(t, ok, "%s not in the %s index", n, arch)
		pkgs = append(pkgs, p)
	}
	debs, err := FetchAll(context.Background(), ix.Archive, pkgs, testCache)
	assert.NilError(t, err)
	return debs
}

// indexFromText builds an index from a Packages file written in a test.
func indexFromText(t *testing.T, arch, text string) *Index {
	t.Helper()
	a := Archive{Mirror: "http://127.0.0.1:1/debian", Suite: "testing", Components: []string{"main"}}
	return archiveIndexFromText(t, a, arch, text)
}

func archiveIndexFromText(t *testing.T, a Archive, arch, text string) *Index {
	t.Helper()
	ix := newIndex(a, arch)
	entries, err := parsePackages(strings.NewReader(text), arch)
	assert.NilError(t, err)
	for _, e := range entries {
		e.Mirror = a.Mirror
		ix.add(e)
	}
	ix.sort()
	return ix
}

func names(pkgs []Package) []string {
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		out[i] = p.Name
	}
	return out
}
