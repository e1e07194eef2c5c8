package debian

import (
	"archive/tar"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestParseAlternatives(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   []alternative
	}{
		{name: "continued lines with a slave", script: `#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
	update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \
	    --slave /usr/bin/nawk nawk /usr/bin/mawk
fi`,
			want: []alternative{{link: "/usr/bin/awk", name: "awk", path: "/usr/bin/mawk", priority: 5,
				slaves: []slave{{link: "/usr/bin/nawk", name: "nawk", path: "/usr/bin/mawk"}}}}},
		{name: "quoted, flags first, full path, ; and || true", script: `
update-alternatives --quiet --install "/usr/bin/pager" pager '/bin/less' 77 || true
update-alternatives --install /usr/bin/editor editor /usr/bin/vim.tiny 15 ; echo done
/usr/bin/update-alternatives --install /usr/bin/x-www-browser x-www-browser /usr/bin/lynx 10; exit 0
`,
			want: []alternative{
				{link: "/usr/bin/pager", name: "pager", path: "/bin/less", priority: 77},
				{link: "/usr/bin/editor", name: "editor", path: "/usr/bin/vim.tiny", priority: 15},
				{link: "/usr/bin/x-www-browser", name: "x-www-browser", path: "/usr/bin/lynx", priority: 10},
			}},
		{name: "shell variables are skipped", script: `
for f in a b; do update-alternatives --install /usr/bin/$f $f /usr/lib/x/$f 10; done
update-alternatives --install /usr/bin/x x /usr/bin/x1 $PRIO
`},
		{name: "remove only", script: `update-alternatives --remove awk /usr/bin/mawk`},
		{name: "incomplete", script: `update-alternatives --install /usr/bin/x x`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := parseAlternatives([]byte(tc.script), "pkg")
			for i := range tc.want {
				tc.want[i].pkg = "pkg"
			}
			assert.DeepEqual(t, got, tc.want, cmpAlternatives)
		})
	}
}

var cmpAlternatives = cmp.AllowUnexported(alternative{}, slave{})

// entryMap indexes fixup entries by name.
func entryMap(entries []Entry) map[string]Entry {
	m := map[string]Entry{}
	for _, e := range entries {
		m[e.Header.Name] = e
	}
	return m
}

func assertSymlink(t *testing.T, m map[string]Entry, name, target string) {
	t.Helper()
	e, ok := m[name]
	assert.Assert(t, ok, "no entry %s", name)
	assert.Equal(t, e.Header.Typeflag, byte(tar.TypeSymlink), name)
	assert.Equal(t, e.Header.Linkname, target, name)
}

func TestFixupsAlternativesReal(t *testing.T) {
	t.Run("mawk alone", func(t *testing.T) {
		entries, err := Fixups(fetchOnly(t, "armhf", "mawk"))
		assert.NilError(t, err)
		m := entryMap(entries)
		assertSymlink(t, m, "usr/bin/awk", "/etc/alternatives/awk")
		assertSymlink(t, m, "etc/alternatives/awk", "/usr/bin/mawk")
		assertSymlink(t, m, "usr/bin/nawk", "/etc/alternatives/nawk")
		assertSymlink(t, m, "etc/alternatives/nawk", "/usr/bin/mawk")
		assert.Equal(t, m["etc/alternatives"].Header.Typeflag, byte(tar.TypeDir))
	})

	t.Run("gawk's higher priority wins", func(t *testing.T) {
		entries, err := Fixups(fetchOnly(t, "armhf", "mawk", "gawk"))
		assert.NilError(t, err)
		m := entryMap(entries)
		assertSymlink(t, m, "usr/bin/awk", "/etc/alternatives/awk")
		assertSymlink(t, m, "etc/alternatives/awk", "/usr/bin/gawk")

		admin := string(m["var/lib/dpkg/alternatives/awk"].Data)
		assert.Assert(t, strings.HasPrefix(admin, "auto\n/usr/bin/awk\n"), admin)
		assert.Assert(t, is.Contains(admin, "\n/usr/bin/gawk\n10\n"))
		assert.Assert(t, is.Contains(admin, "\n/usr/bin/mawk\n5\n"))
	})

	t.Run("same result in any package order", func(t *testing.T) {
		a, err := Fixups(fetchOnly(t, "armhf", "mawk", "gawk"))
		assert.NilError(t, err)
		b, err := Fixups(fetchOnly(t, "armhf", "gawk", "mawk"))
		assert.NilError(t, err)
		assert.DeepEqual(t, a, b)
	})
}

func TestFixupsPasswdAndStatus(t *testing.T) {
	debs := fetchOnly(t, "armhf", "base-passwd", "mawk")
	entries, err := Fixups(debs)
	assert.NilError(t, err)
	m := entryMap(entries)

	passwd := string(m["etc/passwd"].Data)
	assert.Assert(t, strings.HasPrefix(passwd, "root:*:0:0:root:/root:"), passwd) // as base-passwd ships it
	assert.Assert(t, is.Contains(string(m["etc/group"].Data), "root:*:0:\n"))
	assert.Equal(t, m["etc/passwd"].Header.Mode, int64(0o644))

	status := string(m["var/lib/dpkg/status"].Data)
	for _, d := range debs {
		assert.Assert(t, is.Contains(status, "Package: "+d.Name+"\nStatus: install ok installed\n"))
		assert.Assert(t, is.Contains(status, "\nVersion: "+d.Version+"\n"))
		list := string(m["var/lib/dpkg/info/"+d.Name+".list"].Data)
		assert.Assert(t, strings.HasPrefix(list, "/.\n"), list)
	}
	assert.Assert(t, is.Contains(string(m["var/lib/dpkg/info/mawk.list"].Data), "\n/usr/bin/mawk\n"))
	assert.Assert(t, is.Contains(string(m["var/lib/dpkg/info/mawk.md5sums"].Data), "usr/bin/mawk\n"))

	var got []string
	for _, e := range entries {
		got = append(got, e.Header.Name)
	}
	assert.Assert(t, slices.IsSorted(got), "entries are not sorted: %v", got)
}
