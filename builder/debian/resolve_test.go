package debian

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// stanza writes one Packages paragraph; extra lines are "Field: value".
func stanza(name, version, arch string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\nVersion: %s\nArchitecture: %s\n", name, version, arch)
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	fmt.Fprintf(&b, "Filename: pool/main/%s_%s_%s.deb\nSize: 1000\nSHA256: %064x\n\n", name, version, arch, len(name))
	return b.String()
}

// fixtureIndex is a small armhf archive with the shapes the resolver must
// handle: virtual packages, alternatives, versions, cycles, :any.
func fixtureIndex(t *testing.T) *Index {
	text := strings.Join([]string{
		stanza("libc6", "2.36-9", "armhf", "Multi-Arch: same"),
		stanza("libc6", "2.31-1", "armhf", "Multi-Arch: same"),
		stanza("dash", "0.5.12-2", "armhf", "Essential: yes", "Pre-Depends: libc6 (>= 2.34)"),
		stanza("coreutils", "9.1-1", "armhf", "Essential: yes", "Pre-Depends: libc6"),
		stanza("coreutils", "8.32-4", "armhf", "Essential: yes", "Pre-Depends: libc6"),
		stanza("base-files", "12.4", "armhf", "Essential: yes", "Pre-Depends: awk"),
		stanza("mawk", "1.3.4", "armhf", "Provides: awk", "Depends: libc6 (>= 2.29)"),
		stanza("gawk", "5.2.1", "armhf", "Provides: awk", "Depends: libc6, libgmp"),
		stanza("libgmp", "6.2.1", "armhf"),
		stanza("amd64-only", "1", "amd64"),
		stanza("python3", "3.11.2-1", "armhf", "Multi-Arch: allowed", "Depends: libc6"),
		stanza("tool", "1", "all", "Depends: python3:any (>= 3.9), awk"),
		stanza("mua", "1", "armhf", "Depends: default-mta | mail-transport-agent, libc6"),
		stanza("exim", "4", "armhf", "Provides: mail-transport-agent, default-mta"),
		stanza("dma", "1", "armhf", "Provides: mail-transport-agent"),
		stanza("alt", "1", "armhf", "Depends: missing-thing | dash, gone | gawk"),
		stanza("chicken", "1", "armhf", "Depends: egg"),
		stanza("egg", "1", "armhf", "Depends: chicken"),
		stanza("needs-new-libc", "1", "armhf", "Depends: libc6 (>= 3.0)"),
		stanza("top", "1", "armhf", "Depends: middle"),
		stanza("middle", "1", "armhf", "Depends: needs-new-libc"),
		stanza("wants-versioned-virtual", "1", "armhf", "Depends: awk (>= 1)"),
		stanza("vprov", "1", "armhf", "Provides: vname (= 2.0)"),
		stanza("wants-vname", "1", "armhf", "Depends: vname (>= 1.5)"),
		stanza("old-libc-pin", "1", "armhf", "Depends: libc6 (= 2.31-1)"),
		stanza("recommender", "1", "armhf", "Recommends: gawk", "Suggests: dma"),
		stanza("postfix", "3", "armhf", "Provides: mail-transport-agent", "Conflicts: mail-transport-agent"),
		stanza("oldtool", "1", "armhf"),
		stanza("top2", "1", "armhf", "Depends: newlib, oldtool"),
		stanza("newlib", "2", "armhf", "Breaks: oldtool (<< 2)"),
		stanza("newlib-ok", "2", "armhf", "Breaks: oldtool (<< 1)", "Conflicts: dash:amd64"),
	}, "")
	return indexFromText(t, "armhf", text)
}

func TestResolveRules(t *testing.T) {
	ix := fixtureIndex(t)
	omit := ResolveOptions{OmitEssential: true}

	cases := []struct {
		name  string
		in    []string
		opts  ResolveOptions
		want  []string
		check func(t *testing.T, pkgs []Package)
	}{
		{name: "highest version", in: []string{"dash"}, opts: omit, want: []string{"dash", "libc6"},
			check: func(t *testing.T, pkgs []Package) { assert.Equal(t, pkgs[1].Version, "2.36-9") }},
		{name: "pinned version", in: []string{"libc6=2.31-1"}, opts: omit, want: []string{"libc6"},
			check: func(t *testing.T, pkgs []Package) { assert.Equal(t, pkgs[0].Version, "2.31-1") }},
		{name: "relation version", in: []string{"old-libc-pin"}, opts: omit, want: []string{"libc6", "old-libc-pin"},
			check: func(t *testing.T, pkgs []Package) { assert.Equal(t, pkgs[0].Version, "2.31-1") }},
		{name: "essential base added by default", in: []string{"tool"},
			want: []string{"base-files", "coreutils", "dash", "gawk", "libc6", "libgmp", "python3", "tool"}},
		{name: "essential package pinned by the caller", in: []string{"coreutils=8.32-4"},
			want:  []string{"base-files", "coreutils", "dash", "gawk", "libc6", "libgmp"},
			check: func(t *testing.T, pkgs []Package) { assert.Equal(t, pkgs[1].Version, "8.32-4") }},
		{name: "virtual: first provider by name", in: []string{"tool"}, opts: omit,
			want: []string{"gawk", "libc6", "libgmp", "python3", "tool"}},
		{name: "virtual: provider chosen by the caller",
			in: []string{"tool"}, opts: ResolveOptions{OmitEssential: true, Providers: map[string]string{"awk": "mawk"}},
			want: []string{"libc6", "mawk", "python3", "tool"}},
		{name: "virtual: a selected provider wins", in: []string{"tool", "mawk"}, opts: omit,
			want: []string{"libc6", "mawk", "python3", "tool"}},
		{name: "virtual: selected provider wins whatever the order", in: []string{"mawk", "tool"}, opts: omit,
			want: []string{"libc6", "mawk", "python3", "tool"}},
		{name: "virtual named by the caller", in: []string{"awk"}, opts: omit, want: []string{"gawk", "libc6", "libgmp"}},
		{name: "virtual and its provider named by the caller", in: []string{"awk", "mawk"}, opts: omit,
			want: []string{"libc6", "mawk"}},
		{name: "versioned virtual", in: []string{"wants-vname"}, opts: omit, want: []string{"vprov", "wants-vname"}},
		{name: "alternatives: first satisfiable", in: []string{"alt"}, opts: omit,
			want: []string{"alt", "dash", "gawk", "libc6", "libgmp"}},
		{name: "alternatives: first one, through a virtual", in: []string{"mua"}, opts: omit,
			want: []string{"exim", "libc6", "mua"}},
		{name: "alternatives: selected second choice wins", in: []string{"mua", "dma"}, opts: omit,
			want: []string{"dma", "libc6", "mua"}},
		{name: "cycle", in: []string{"chicken"}, opts: omit, want: []string{"chicken", "egg"}},
		{name: "arch all and :any", in: []string{"tool:armhf"}, opts: ResolveOptions{OmitEssential: true, Providers: map[string]string{"awk": "mawk"}},
			want:  []string{"libc6", "mawk", "python3", "tool"},
			check: func(t *testing.T, pkgs []Package) { assert.Equal(t, pkgs[3].Architecture, "all") }},
		{name: "no recommends or suggests", in: []string{"recommender"}, opts: omit, want: []string{"recommender"}},
		{name: "duplicates", in: []string{"dash", "dash"}, opts: omit, want: []string{"dash", "libc6"}},
		{name: "conflicts with a virtual it provides itself", in: []string{"postfix", "mua"}, opts: omit,
			want: []string{"libc6", "mua", "postfix"}},
		{name: "breaks and conflicts that do not apply", in: []string{"newlib-ok", "oldtool", "dash"}, opts: omit,
			want: []string{"dash", "libc6", "newlib-ok", "oldtool"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pkgs, err := ix.Resolve(tc.in, tc.opts)
			assert.NilError(t, err)
			assert.DeepEqual(t, names(pkgs), tc.want)
			if tc.check != nil {
				tc.check(t, pkgs)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	ix := fixtureIndex(t)
	omit := ResolveOptions{OmitEssential: true}

	cases := []struct {
		name string
		in   []string
		opts ResolveOptions
		kind error
		want []string // substrings of the message
	}{
		{name: "unknown package", in: []string{"dash", "no-such-pkg"}, kind: errdefs.ErrNotFound,
			want: []string{"no-such-pkg", "testing/main for armhf"}},
		{name: "other architecture", in: []string{"amd64-only"}, kind: errdefs.ErrNotFound,
			want: []string{"amd64-only", "for armhf"}},
		{name: "version not offered", in: []string{"dash=9"}, kind: errdefs.ErrNotFound,
			want: []string{"dash (= 9)", "for armhf"}},
		{name: "unsatisfiable, with chain", in: []string{"top"}, kind: ErrUnsatisfiable,
			want: []string{"top -> middle -> needs-new-libc -> libc6 (>= 3.0)", "libc6 2.36-9", "for armhf"}},
		{name: "unversioned provides for a versioned relation", in: []string{"wants-versioned-virtual"}, kind: ErrUnsatisfiable,
			want: []string{"wants-versioned-virtual -> awk (>= 1)", "providers of awk"}},
		{name: "two versions of one package", in: []string{"dash", "old-libc-pin"}, kind: ErrUnsatisfiable,
			want: []string{"old-libc-pin needs libc6 2.31-1", "2.36-9 was already selected via dash -> libc6"}},
		{name: "chosen provider does not provide", in: []string{"tool"},
			opts: ResolveOptions{OmitEssential: true, Providers: map[string]string{"awk": "dash"}},
			kind: errdefs.ErrInvalid, want: []string{"dash chosen for awk", "providers: gawk, mawk"}},
		{name: "conflicts through a virtual", in: []string{"postfix", "exim"}, kind: ErrConflict,
			want: []string{"postfix=3:armhf (via postfix) has Conflicts: mail-transport-agent, but exim=4:armhf (via exim) is selected"}},
		{name: "breaks an old version", in: []string{"top2"}, kind: ErrConflict,
			want: []string{"newlib=2:armhf (via top2 -> newlib) has Breaks: oldtool (<< 2), but oldtool=1:armhf (via top2 -> oldtool)"}},
		{name: "two versions asked for", in: []string{"libc6=2.31-1", "libc6 (>= 2.36)"}, kind: ErrUnsatisfiable,
			want: []string{"the request needs libc6 2.36-9, but 2.31-1 was already selected via libc6"}},
		{name: "foreign qualifier", in: []string{"dash:amd64"}, opts: omit, kind: errdefs.ErrInvalid,
			want: []string{`"dash:amd64"`, "armhf"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts.Providers == nil {
				opts.OmitEssential = true
			}
			_, err := ix.Resolve(tc.in, opts)
			assert.Assert(t, err != nil)
			t.Log(err)
			assert.Assert(t, errors.Is(err, tc.kind), "%v is not %v", err, tc.kind)
			for _, w := range tc.want {
				assert.Assert(t, is.Contains(err.Error(), w))
			}
		})
	}
}

func TestResolveOrderIndependent(t *testing.T) {
	ix := fixtureIndex(t)
	a, err := ix.Resolve([]string{"mua", "tool", "alt", "chicken"}, ResolveOptions{})
	assert.NilError(t, err)
	b, err := ix.Resolve([]string{"chicken", "alt", "tool", "mua"}, ResolveOptions{})
	assert.NilError(t, err)
	assert.DeepEqual(t, a, b)
}
