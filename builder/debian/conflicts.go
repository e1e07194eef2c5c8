package debian

import (
	"fmt"
	"slices"

	"pault.ag/go/debian/dependency"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// checkConflicts fails if a selected package Conflicts with or Breaks
// another selected one. A package never conflicts with itself, even
// through a virtual name it both provides and conflicts with (the Debian
// way to say "only one provider at a time").
func (r *resolver) checkConflicts() error {
	for _, name := range sortedKeys(r.selected) {
		e := r.selected[name]
		for _, field := range [][2]string{{"Conflicts", e.Conflicts}, {"Breaks", e.Breaks}} {
			if field[1] == "" {
				continue
			}
			dep, err := dependency.Parse(field[1])
			if err != nil {
				return errdefs.Invalid(fmt.Errorf("%s: %s: %w", e.Package, field[0], err))
			}
			for _, p := range dep.GetAllPossibilities() {
				if other := r.conflicting(e, p); other != nil {
					return errdefs.Invalid(fmt.Errorf("%w: %s (via %s) has %s: %s, but %s (via %s) is selected, in %s",
						ErrConflict, e.Package, r.chain(e.Name), field[0], p, other.Package,
						r.chain(other.Name), r.ix.where()))
				}
			}
		}
	}
	return nil
}

// conflicting returns the selected package, other than e, that p names:
// by its own name and version, or by a virtual name it provides.
func (r *resolver) conflicting(e *entry, p dependency.Possibility) *entry {
	if p.Arch != nil && !archAllowed(p.Arch.String(), r.ix.Arch) {
		return nil
	}
	if s, ok := r.selected[p.Name]; ok && s != e && versionOK(p, s.version) {
		return s
	}
	provs := r.ix.providers[p.Name]
	i := slices.IndexFunc(provs, func(pv provided) bool {
		return pv.e != e && r.selected[pv.e.Name] == pv.e && provideOK(p, pv)
	})
	if i < 0 {
		return nil
	}
	return provs[i].e
}
