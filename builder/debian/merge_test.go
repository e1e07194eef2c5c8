package debian

import (
	"context"
	"testing"

	"gotest.tools/v3/assert"
	"pault.ag/go/debian/version"
)

func TestMergeIndexes(t *testing.T) {
	release := archiveIndexFromText(t, Archive{Mirror: "http://127.0.0.1:1/debian", Suite: "stable", Components: []string{"main"}}, "armhf",
		stanza("libc6", "2.36-9", "armhf")+stanza("dash", "0.5.12-2", "armhf", "Pre-Depends: libc6 (>= 2.34)")+
			stanza("mawk", "1.3.4", "armhf", "Provides: awk"))
	security := archiveIndexFromText(t, Archive{Mirror: "http://127.0.0.1:1/debian-security", Suite: "stable-security", Components: []string{"main"}}, "armhf",
		stanza("libc6", "2.36-9+deb12u1", "armhf")+stanza("mawk", "1.3.4", "armhf", "Provides: awk"))

	merged, err := MergeIndexes(release, security)
	assert.NilError(t, err)
	pkgs, err := merged.Resolve([]string{"dash", "awk"}, ResolveOptions{OmitEssential: true})
	assert.NilError(t, err)
	assert.DeepEqual(t, names(pkgs), []string{"dash", "libc6", "mawk"})
	assert.Equal(t, pkgs[1].Version, "2.36-9+deb12u1")
	assert.Equal(t, pkgs[1].Mirror, "http://127.0.0.1:1/debian-security")
	assert.Equal(t, pkgs[2].Mirror, "http://127.0.0.1:1/debian", "a version in both keeps the first")
	assert.Equal(t, debURL(Archive{Mirror: "http://127.0.0.1:1/other"}, pkgs[1]),
		"http://127.0.0.1:1/debian-security/pool/main/libc6_2.36-9+deb12u1_armhf.deb")
	assert.Equal(t, merged.Len(), 4)

	_, err = merged.Resolve([]string{"nothing"}, ResolveOptions{})
	assert.ErrorContains(t, err, "stable/main + stable-security/main for armhf")

	amd64 := archiveIndexFromText(t, release.Archive, "amd64", stanza("libc6", "2.36-9", "amd64"))
	_, err = MergeIndexes(release, amd64)
	assert.ErrorContains(t, err, "for amd64")
}

// TestMergeHostArchives reads every suite the host's apt names (on Debian:
// the release, -updates and -security) and checks that each package
// resolved from the merged index is the highest version any of them has.
func TestMergeHostArchives(t *testing.T) {
	archives, err := HostArchives()
	assert.NilError(t, err)
	var indexes []*Index
	for _, a := range archives {
		ix, err := a.Index(context.Background(), "armhf", WithCacheDir(testCache))
		assert.NilError(t, err, "%s", a)
		indexes = append(indexes, ix)
	}
	merged, err := MergeIndexes(indexes...)
	assert.NilError(t, err)

	pkgs, err := merged.Resolve([]string{"python3-minimal", "busybox-static"}, ResolveOptions{OmitEssential: true})
	assert.NilError(t, err)
	for _, p := range pkgs {
		v, err := version.Parse(p.Version)
		assert.NilError(t, err)
		for _, ix := range indexes {
			if other, ok := ix.Lookup(p.Name); ok {
				ov, err := version.Parse(other.Version)
				assert.NilError(t, err)
				assert.Assert(t, version.Compare(v, ov) >= 0, "%s: %s offers %s", p, ix.Archive, other.Version)
			}
		}
	}

	// A package from another archive (e.g. -security) is fetched from it,
	// whatever archive the caller passes.
	var other *Package
	for i, p := range pkgs {
		if p.Mirror != archives[0].Mirror && (other == nil || p.Size < other.Size) {
			other = &pkgs[i]
		}
	}
	if other == nil {
		t.Logf("no package of %v comes from another archive than %s today", names(pkgs), archives[0])
		return
	}
	path, err := Fetch(context.Background(), archives[0], *other, testCache)
	assert.NilError(t, err, "%s from %s", other, other.Mirror)
	sum, _, err := hashFile(path)
	assert.NilError(t, err)
	assert.Equal(t, sum, other.SHA256)
}

func TestSuiteArchives(t *testing.T) {
	all := []Archive{
		{Mirror: "http://127.0.0.1:1/debian", Suite: "bookworm"},
		{Mirror: "http://127.0.0.1:1/debian", Suite: "bookworm-updates"},
		{Mirror: "http://127.0.0.1:1/debian", Suite: "trixie"},
		{Mirror: "http://127.0.0.1:1/debian-security", Suite: "bookworm-security"},
		{Mirror: "http://127.0.0.1:1/other", Suite: "bookwormish"},
	}
	assert.DeepEqual(t, SuiteArchives(all, "bookworm"), []Archive{all[0], all[1], all[3]})
	assert.DeepEqual(t, SuiteArchives(all, "trixie"), []Archive{all[2]})
	assert.Assert(t, SuiteArchives(all, "sid") == nil)
}
