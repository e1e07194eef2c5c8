package debian

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// MergeIndexes combines indexes of one architecture, e.g. of a release and
// its -updates and -security suites (see HostArchives), into one index that
// Resolve reads as apt would with equal pin priorities: each package at the
// highest version any of them offers. A version offered by several keeps
// the first index's entry. Every Package keeps the Mirror it is fetched
// from, so Fetch gets each .deb from its own archive.
//
// The result's Archive is the first index's; errors name every suite.
func MergeIndexes(indexes ...*Index) (*Index, error) {
	if len(indexes) == 0 {
		return nil, errdefs.Invalid(fmt.Errorf("merge indexes: none given"))
	}
	first := indexes[0]
	merged := newIndex(first.Archive, first.Arch)

	var wheres, signers []string
	seen := map[string]bool{} // name=version
	for _, ix := range indexes {
		if ix.Arch != first.Arch {
			return nil, errdefs.Invalid(fmt.Errorf("merge indexes: %s is for %s, %s for %s",
				ix.where(), ix.Arch, first.where(), first.Arch))
		}
		wheres = append(wheres, ix.Archive.Suite+"/"+strings.Join(ix.Archive.Components, ","))
		if ix.SignedBy != "" && !slices.Contains(signers, ix.SignedBy) {
			signers = append(signers, ix.SignedBy)
		}
		for _, name := range sortedKeys(ix.byName) {
			for _, e := range ix.byName[name] {
				if key := e.Name + "=" + e.Version; !seen[key] {
					seen[key] = true
					merged.add(e)
				}
			}
		}
	}

	merged.SignedBy = strings.Join(signers, "; ")
	merged.label = strings.Join(wheres, " + ") + " for " + first.Arch
	merged.sort()
	return merged, nil
}

// SuiteArchives picks from archives (e.g. HostArchives) those of suite and
// of its companion suites, "SUITE-updates" and "SUITE-security" (and any
// other "SUITE-..."), keeping their order: the sources whose indexes
// MergeIndexes should combine for an image based on suite.
func SuiteArchives(archives []Archive, suite string) []Archive {
	var out []Archive
	for _, a := range archives {
		if a.Suite == suite || strings.HasPrefix(a.Suite, suite+"-") {
			out = append(out, a)
		}
	}
	return out
}
