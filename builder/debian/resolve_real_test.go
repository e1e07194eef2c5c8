package debian

import (
	"slices"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"
)

// assertClosed checks, independently of the resolver, that every
// Pre-Depends and Depends of every package is met inside the set, by name
// and version or by a Provides.
func assertClosed(t *testing.T, arch string, pkgs []Package) {
	t.Helper()
	type offer struct{ version string }
	offers := map[string][]offer{} // name -> versions offered ("" = unversioned Provides)
	for _, p := range pkgs {
		offers[p.Name] = append(offers[p.Name], offer{p.Version})
		if p.Provides == "" {
			continue
		}
		prov, err := dependency.Parse(p.Provides)
		assert.NilError(t, err)
		for _, pv := range prov.GetAllPossibilities() {
			v := ""
			if pv.Version != nil {
				v = pv.Version.Number
			}
			offers[pv.Name] = append(offers[pv.Name], offer{v})
		}
	}
	met := func(pos dependency.Possibility) bool {
		if pos.Arch != nil && !slices.Contains([]string{"any", "native", arch}, pos.Arch.String()) {
			return false
		}
		for _, o := range offers[pos.Name] {
			if pos.Version == nil {
				return true
			}
			v, err := version.Parse(o.version)
			if o.version != "" && err == nil && pos.Version.SatisfiedBy(v) {
				return true
			}
		}
		return false
	}

	for _, p := range pkgs {
		assert.Assert(t, p.Architecture == arch || p.Architecture == "all", "%s", p)
		for _, field := range []string{p.PreDepends, p.Depends} {
			if field == "" {
				continue
			}
			dep, err := dependency.Parse(field)
			assert.NilError(t, err)
			for _, rel := range dep.Relations {
				assert.Assert(t, slices.ContainsFunc(rel.Possibilities, met), "%s: %s is not met", p, rel)
			}
		}
	}
}

func TestResolveReal(t *testing.T) {
	ros := []string{"ros-core", "python3-rospy", "python3-std-msgs"}
	cases := []struct {
		name    string
		in      []string
		opts    ResolveOptions
		has     []string
		exactly []string
	}{
		{name: "busybox-static alone", in: []string{"busybox-static"}, opts: ResolveOptions{OmitEssential: true},
			exactly: []string{"busybox-static"}},
		{name: "python3-minimal", in: []string{"python3-minimal"}, opts: ResolveOptions{OmitEssential: true},
			has: []string{"libc6", "python3.11-minimal", "libpython3.11-minimal", "zlib1g"}},
		{name: "ros without the essential set", in: ros, opts: ResolveOptions{OmitEssential: true},
			has: []string{"python3", "python3-rospy", "python3-std-msgs", "python3-roslaunch", "libc6"}},
		{name: "ros on a base system", in: ros,
			has: []string{"dash", "bash", "coreutils", "python3", "ros-core", "base-passwd", "base-files"}},
		{name: "virtual: mail-transport-agent via default-mta", in: []string{"bsd-mailx"},
			opts: ResolveOptions{OmitEssential: true}, has: []string{"bsd-mailx", "exim4-daemon-light"}},
		{name: "virtual: awk, provider chosen", in: []string{"base-files"},
			opts: ResolveOptions{OmitEssential: true, Providers: map[string]string{"awk": "mawk"}},
			has:  []string{"base-files", "mawk"}},
		{name: "alternatives: python3-distro | python3 (<< 3.8)", in: []string{"python3-rospkg"},
			opts: ResolveOptions{OmitEssential: true}, has: []string{"python3-distro"}},
	}
	for _, arch := range []string{"armhf", "amd64"} {
		ix := realIndex(t, arch)
		for _, tc := range cases {
			t.Run(arch+"/"+tc.name, func(t *testing.T) {
				pkgs, err := ix.Resolve(tc.in, tc.opts)
				assert.NilError(t, err)
				got := names(pkgs)
				t.Logf("%d packages, %d bytes of .deb", len(pkgs), totalSize(pkgs))

				assert.Assert(t, slices.IsSorted(got))
				if tc.exactly != nil {
					assert.DeepEqual(t, got, tc.exactly)
				}
				for _, h := range tc.has {
					assert.Assert(t, is.Contains(got, h))
				}
				assertClosed(t, arch, pkgs)

				reversed := slices.Clone(tc.in)
				slices.Reverse(reversed)
				again, err := ix.Resolve(reversed, tc.opts)
				assert.NilError(t, err)
				assert.DeepEqual(t, again, pkgs)
			})
		}
	}
}

func TestResolveRealErrors(t *testing.T) {
	ix := realIndex(t, "armhf")
	_, err := ix.Resolve([]string{"python3-minimal", "no-such-package-crossdock"}, ResolveOptions{})
	assert.ErrorContains(t, err, "no-such-package-crossdock")
	assert.ErrorContains(t, err, ix.Archive.Suite+"/main for armhf")

	_, err = ix.Resolve([]string{"python3-minimal (>= 99)"}, ResolveOptions{})
	assert.ErrorContains(t, err, "python3-minimal (>= 99) not found")
}

func totalSize(pkgs []Package) int64 {
	var n int64
	for _, p := range pkgs {
		n += p.Size
	}
	return n
}
