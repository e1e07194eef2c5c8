package debian

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"pault.ag/go/debian/version"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Package is one binary package as the signed index describes it: enough to
// fetch and verify its .deb, to resolve its dependencies, and to pin it in a
// lockfile.
type Package struct {
	Name         string
	Version      string
	Architecture string // the Debian architecture, or "all"
	MultiArch    string // "same", "foreign", "allowed" or ""
	Source       string // the source package, when it differs from Name
	Mirror       string // the archive URL the index came from ("" = the caller's)
	Filename     string // path of the .deb under the mirror, e.g. pool/main/...
	SHA256       string // hex sha256 of the .deb
	Size         int64  // size of the .deb in bytes
	Essential    bool   // Essential: yes
	Priority     string // required, important, standard, optional, extra

	// The relationship fields, as written in the index.
	Depends, PreDepends, Provides, Conflicts, Breaks string
}

// String is name=version:arch, as apt would pin it.
func (p Package) String() string {
	return p.Name + "=" + p.Version + ":" + p.Architecture
}

// Index is the set of binary packages a suite offers for one architecture
// (its own packages and the architecture-independent "all" ones), read from
// the signed index of every component of the archive. An Index is
// read-only once made: several goroutines may call Resolve at once.
type Index struct {
	Archive Archive
	Arch    string
	// SignedBy names the key that signed the release file (its first
	// user ID), e.g. for a build report.
	SignedBy string

	// byName holds every version of a package, highest first.
	byName map[string][]*entry
	// providers lists, for each virtual name, the packages providing it.
	providers map[string][]provided
	// label names a merged index in errors (see where).
	label string
}

// entry is one package with its parsed fields.
type entry struct {
	Package
	version  version.Version
	provides []provide
}

// provided is one package's Provides of a name, perhaps at a version.
type provided struct {
	e       *entry
	version string // "" when the Provides is unversioned
}

// Index reads the suite's InRelease, verifies its signature with the
// archive keyring, and reads the Packages.xz (or Packages.gz) of each
// component for arch (e.g. "armhf", see ArchForPlatform), checking each
// against the sha256 the signed release lists. The compressed indexes are
// cached by sha256 (see WithCacheDir); InRelease is always fetched, so the
// index is current.
//
// A release file that is not signed by a key of the keyring, or whose
// Valid-Until has passed, fails with errdefs.ErrInvalid naming its URL; a
// Packages file that does not match fails with ErrDigestMismatch naming
// its URL.
func (a Archive) Index(ctx context.Context, arch string, opts ...Option) (*Index, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)

	rel, err := fetchRelease(ctx, a, o)
	if err != nil {
		return nil, err
	}

	ix := newIndex(a, arch)
	ix.SignedBy = rel.signer
	for _, comp := range a.Components {
		if err := ix.readComponent(ctx, rel, comp, o); err != nil {
			return nil, err
		}
	}
	if len(ix.byName) == 0 {
		return nil, errdefs.NotFound(fmt.Errorf("%s: no packages for %s in %s", rel.url, arch, a))
	}
	ix.sort()
	return ix, nil
}

func newIndex(a Archive, arch string) *Index {
	return &Index{Archive: a, Arch: arch, byName: map[string][]*entry{}, providers: map[string][]provided{}}
}

// sort orders each package's versions highest first, and each virtual
// name's providers by name, then version, highest first.
func (ix *Index) sort() {
	for _, versions := range ix.byName {
		slices.SortStableFunc(versions, func(x, y *entry) int { return version.Compare(y.version, x.version) })
	}
	for _, ps := range ix.providers {
		slices.SortStableFunc(ps, func(x, y provided) int {
			if c := strings.Compare(x.e.Name, y.e.Name); c != 0 {
				return c
			}
			return version.Compare(y.e.version, x.e.version)
		})
	}
}

// readComponent fetches and parses COMPONENT/binary-ARCH/Packages.xz (or
// Packages.gz, for archives that offer no xz).
func (ix *Index) readComponent(ctx context.Context, rel *release, comp string, o *options) error {
	base := comp + "/binary-" + ix.Arch + "/Packages"
	name := base + ".xz"
	want, ok := rel.files[name]
	if !ok {
		name = base + ".gz"
		want, ok = rel.files[name]
	}
	if !ok {
		return errdefs.NotFound(fmt.Errorf("%s lists no %s.xz: is %q an architecture of %s?",
			rel.url, base, ix.Arch, ix.Archive.Suite))
	}

	// Fetch by hash where the archive offers it, so that a mirror update
	// between reading InRelease and the index cannot mix two versions.
	dists := "dists/" + ix.Archive.Suite + "/"
	url := ix.Archive.url(dists + name)
	if rel.byHash {
		url = ix.Archive.url(dists + comp + "/binary-" + ix.Arch + "/by-hash/SHA256/" + want.sha256)
	}
	path, err := o.fetchVerified(ctx, url, want.sha256, want.size)
	if err != nil {
		return err
	}
	entries, err := o.parsed(path, want.sha256, ix.Arch, strings.HasSuffix(name, ".gz"))
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("%s (%s): %w", url, path, err))
	}
	for _, e := range entries {
		e.Mirror = ix.Archive.Mirror
		ix.add(e)
	}
	return nil
}

// Lookup returns the highest version of the named package, and false when
// the index has no package of that name (it may still be a virtual one).
func (ix *Index) Lookup(name string) (Package, bool) {
	versions := ix.byName[name]
	if len(versions) == 0 {
		return Package{}, false
	}
	return versions[0].Package, true
}

// Len is the number of package versions in the index.
func (ix *Index) Len() int {
	n := 0
	for _, v := range ix.byName {
		n += len(v)
	}
	return n
}

// where names the index in errors: suite, components and architecture.
func (ix *Index) where() string {
	if ix.label != "" {
		return ix.label
	}
	return fmt.Sprintf("%s/%s for %s", ix.Archive.Suite, strings.Join(ix.Archive.Components, ","), ix.Arch)
}
