package debian

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"pault.ag/go/debian/dependency"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// ErrUnsatisfiable is wrapped by Resolve's errors about a dependency that no
// package in the index satisfies.
var ErrUnsatisfiable = errors.New("unsatisfiable dependency")

// ErrConflict is wrapped by Resolve's errors about two selected packages
// of which one Conflicts with or Breaks the other.
var ErrConflict = errors.New("conflicting packages")

// ResolveOptions tune Resolve. The zero value resolves like
// "apt-get install --no-install-recommends" on a Debian base system.
type ResolveOptions struct {
	// OmitEssential, when false (the default), adds every "Essential: yes"
	// package of the index and its dependencies, the way every Debian
	// system has them. Debian packages may use essential programs (/bin/sh,
	// coreutils, sed, grep, tar, ...) without declaring them, so this is
	// what makes their scripts and programs work.
	//
	// When true, only the named packages and what they declare are
	// resolved: the smallest set, for images that name what they need
	// (e.g. busybox-static alone, or python3-minimal plus dash for
	// /bin/sh). A program that runs /bin/sh then fails in the container
	// unless a named package provides it.
	OmitEssential bool

	// Providers picks, for a virtual package name, the package that
	// provides it, e.g. {"awk": "gawk"}. Without an entry the provider is
	// chosen as described on Resolve.
	Providers map[string]string
}

// Resolve returns the packages to install so that every named package and
// all its Pre-Depends and Depends are present, sorted by name. Recommends
// and Suggests are not followed. A name may carry a version, apt-style
// ("python3-minimal=3.11.2-1+b1") or as a relation ("libc6 (>= 2.36)"),
// and an architecture qualifier naming the index's own architecture.
//
// The choice is deterministic: the result depends only on the index and
// the arguments, not on their order.
//   - A package gets the highest version that satisfies the first relation
//     that pulls it in; a later relation it does not satisfy is an error.
//   - For "a | b", an alternative already selected wins; otherwise the
//     first one that some package in the index satisfies.
//   - For a virtual name: a package already selected that provides it, then
//     ResolveOptions.Providers, then a real package of that name, then the
//     provider whose name sorts first. An unversioned Provides does not
//     satisfy a versioned relation.
//   - ":any" and ":native" qualifiers are satisfied by the index's own
//     architecture or "all" (there is one architecture per image, so
//     Multi-Arch only matters as far as the qualifier is allowed).
//   - Cycles are fine: a package is selected once.
//
// An unknown name fails with errdefs.ErrNotFound naming it, the suite and
// the architecture; an unsatisfiable dependency fails with ErrUnsatisfiable
// naming the chain of packages that led to it.
//
// A set in which one package Conflicts with or Breaks another (by name,
// or through a virtual name the other provides) fails with ErrConflict
// naming both and the chains that pulled them in.
//
// TODO: there is no backtracking: when the first alternative or provider
// leads to a conflict or an unsatisfiable dependency, another choice that
// would work is not tried; naming it in the list (or in Providers) does.
func (ix *Index) Resolve(names []string, opts ResolveOptions) ([]Package, error) {
	r := &resolver{ix: ix, opts: opts, selected: map[string]*entry{}, parent: map[string]string{}}

	// Real package names first, then virtual ones, so that a provider the
	// caller names wins over the default choice for a virtual name.
	var roots []dependency.Relation
	for _, name := range names {
		rel, err := parseRequest(name, ix.Arch)
		if err != nil {
			return nil, err
		}
		roots = append(roots, rel)
	}
	slices.SortFunc(roots, func(x, y dependency.Relation) int {
		xv, yv := len(ix.byName[x.Possibilities[0].Name]) == 0, len(ix.byName[y.Possibilities[0].Name]) == 0
		if xv != yv {
			if xv {
				return 1
			}
			return -1
		}
		return strings.Compare(x.String(), y.String())
	})
	for _, rel := range roots {
		if err := r.satisfy(rel, "", true); err != nil {
			return nil, err
		}
	}
	if !opts.OmitEssential {
		for _, name := range ix.essentialNames() {
			if _, ok := r.selected[name]; ok {
				continue // the caller asked for a version of it
			}
			if err := r.pick(ix.byName[name][0], "(essential)"); err != nil {
				return nil, err
			}
		}
	}

	for len(r.queue) > 0 {
		e := r.queue[0]
		r.queue = r.queue[1:]
		rels, err := e.deps()
		if err != nil {
			return nil, errdefs.Invalid(err)
		}
		for _, rel := range rels {
			if err := r.satisfy(rel, e.Name, false); err != nil {
				return nil, err
			}
		}
	}

	if err := r.checkConflicts(); err != nil {
		return nil, err
	}

	out := make([]Package, 0, len(r.selected))
	for _, e := range r.selected {
		out = append(out, e.Package)
	}
	slices.SortFunc(out, func(x, y Package) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// parseRequest turns a name from the caller into a one-possibility relation.
func parseRequest(name, arch string) (dependency.Relation, error) {
	s := strings.TrimSpace(name)
	if n, v, ok := strings.Cut(s, "="); ok && !strings.Contains(s, "(") {
		s = n + " (= " + v + ")"
	}
	dep, err := dependency.Parse(s)
	if err != nil || len(dep.Relations) != 1 || len(dep.Relations[0].Possibilities) != 1 {
		return dependency.Relation{}, errdefs.Invalid(fmt.Errorf("package %q: want NAME, NAME=VERSION or NAME (OP VERSION)", name))
	}
	p := dep.Relations[0].Possibilities[0]
	if p.Arch != nil && !archAllowed(p.Arch.String(), arch) {
		return dependency.Relation{}, errdefs.Invalid(fmt.Errorf("package %q: architecture qualifier is not %s", name, arch))
	}
	return dep.Relations[0], nil
}

// archAllowed reports whether a dependency's ":qualifier" can be met by a
// package of the index's architecture (or "all").
func archAllowed(qualifier, arch string) bool {
	return qualifier == "any" || qualifier == "native" || qualifier == arch
}

// essentialNames lists the index's Essential: yes packages, sorted.
func (ix *Index) essentialNames() []string {
	var names []string
	for name, versions := range ix.byName {
		if versions[0].Essential {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
