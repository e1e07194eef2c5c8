package debian

import (
	"fmt"
	"slices"
	"strings"

	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// resolver is one run of Index.Resolve: a breadth-first walk over the
// dependency graph that selects one package per name.
type resolver struct {
	ix       *Index
	opts     ResolveOptions
	selected map[string]*entry
	parent   map[string]string // who pulled a package in, for error chains
	queue    []*entry
}

// satisfy makes sure one relation ("a (>= 1) | b") holds, selecting a
// package if none selected so far satisfies it. from names the package
// whose relation it is ("" for the caller's own list).
func (r *resolver) satisfy(rel dependency.Relation, from string, root bool) error {
	var poss []dependency.Possibility
	for _, p := range rel.Possibilities {
		if !p.Substvar && (p.Arch == nil || archAllowed(p.Arch.String(), r.ix.Arch)) {
			poss = append(poss, p)
		}
	}

	for _, p := range poss {
		if r.satisfiedBySelected(p) {
			return nil
		}
	}
	for _, p := range poss {
		e, err := r.candidate(p)
		if err != nil {
			return err
		}
		if e != nil {
			return r.pick(e, from)
		}
	}
	return r.unsatisfiable(rel, from, root)
}

// satisfiedBySelected reports whether a package already selected meets p,
// under its own name or through its Provides.
func (r *resolver) satisfiedBySelected(p dependency.Possibility) bool {
	if e, ok := r.selected[p.Name]; ok && versionOK(p, e.version) {
		return true
	}
	for _, pv := range r.ix.providers[p.Name] {
		if r.selected[pv.e.Name] == pv.e && provideOK(p, pv) {
			return true
		}
	}
	return false
}

// candidate returns the package to select for p, or nil if none meets it:
// the caller's chosen provider, then a real package of that name (highest
// version that fits), then the provider whose name sorts first.
func (r *resolver) candidate(p dependency.Possibility) (*entry, error) {
	var provs []*entry // sorted by name, highest version first
	for _, pv := range r.ix.providers[p.Name] {
		if provideOK(p, pv) {
			provs = append(provs, pv.e)
		}
	}

	if want, ok := r.opts.Providers[p.Name]; ok {
		for _, e := range provs {
			if e.Name == want {
				return e, nil
			}
		}
		var names []string
		for _, e := range provs {
			names = append(names, e.Name)
		}
		return nil, errdefs.Invalid(fmt.Errorf("provider %s chosen for %s does not provide %s in %s (providers: %s)",
			want, p.Name, p, r.ix.where(), strings.Join(slices.Compact(names), ", ")))
	}
	for _, e := range r.ix.byName[p.Name] {
		if versionOK(p, e.version) {
			return e, nil
		}
	}
	if len(provs) == 0 {
		return nil, nil
	}
	return provs[0], nil
}

func versionOK(p dependency.Possibility, v version.Version) bool {
	return p.Version == nil || p.Version.SatisfiedBy(v)
}

// provideOK reports whether a Provides meets p: any Provides meets an
// unversioned relation; only a versioned one can meet a versioned relation.
func provideOK(p dependency.Possibility, pv provided) bool {
	if p.Version == nil {
		return true
	}
	if pv.version == "" {
		return false
	}
	v, err := version.Parse(pv.version)
	return err == nil && p.Version.SatisfiedBy(v)
}

// pick selects e on behalf of from, and queues its dependencies.
func (r *resolver) pick(e *entry, from string) error {
	if have, ok := r.selected[e.Name]; ok {
		if have == e {
			return nil
		}
		return errdefs.Invalid(fmt.Errorf("%w: %s needs %s %s, but %s was already selected via %s (in %s)",
			ErrUnsatisfiable, r.chain(from), e.Name, e.Version, have.Version, r.chain(e.Name), r.ix.where()))
	}
	r.selected[e.Name] = e
	r.parent[e.Name] = from
	r.queue = append(r.queue, e)
	return nil
}

// unsatisfiable explains why nothing meets rel.
func (r *resolver) unsatisfiable(rel dependency.Relation, from string, root bool) error {
	if root {
		return errdefs.NotFound(fmt.Errorf("package %s not found in %s (%s)", rel, r.ix.where(), r.ix.Archive.Mirror))
	}
	var have []string
	for _, p := range rel.Possibilities {
		for _, e := range r.ix.byName[p.Name] {
			have = append(have, e.Name+" "+e.Version)
		}
		if len(r.ix.providers[p.Name]) > 0 {
			have = append(have, fmt.Sprintf("%d providers of %s", len(r.ix.providers[p.Name]), p.Name))
		}
	}
	offer := "nothing of that name"
	if len(have) > 0 {
		offer = strings.Join(slices.Compact(have), ", ")
	}
	return errdefs.Invalid(fmt.Errorf("%w: %s -> %s: %s has %s",
		ErrUnsatisfiable, r.chain(from), rel, r.ix.where(), offer))
}

// chain is the path from a requested package down to name: "a -> b -> name".
func (r *resolver) chain(name string) string {
	if name == "" {
		return "the request"
	}
	var path []string
	for n := name; n != "" && len(path) < 100; n = r.parent[n] {
		path = append(path, n)
	}
	slices.Reverse(path)
	return strings.Join(path, " -> ")
}
