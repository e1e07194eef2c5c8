package debian

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/crossdock/crossdock/internal/errdefs"
)

func TestHostArchiveReadsTheHostsSources(t *testing.T) {
	a, err := HostArchive()
	assert.NilError(t, err)
	assert.Assert(t, strings.HasPrefix(a.Mirror, "http://") || strings.HasPrefix(a.Mirror, "https://"), a.Mirror)
	assert.Assert(t, a.Suite != "")
	assert.Assert(t, is.Contains(a.Components, "main"))
	_, err = os.Stat(a.keyring())
	assert.NilError(t, err, "the keyring of %s", a)

	// The mirror is one that the host's apt sources name.
	var sources []byte
	for _, pattern := range []string{"/etc/apt/sources.list", "/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			data, err := os.ReadFile(f)
			assert.NilError(t, err)
			sources = append(sources, data...)
		}
	}
	assert.Assert(t, is.Contains(string(sources), a.Mirror))
}

func TestHostArchiveParsing(t *testing.T) {
	cases := []struct {
		name  string
		files []fs.PathOp
		want  Archive
		all   []Archive
		err   string
	}{
		{name: "deb822", files: []fs.PathOp{fs.WithDir("sources.list.d",
			fs.WithFile("debian.sources", `# a comment
Types: deb deb-src
# http://snapshot.example/archive
URIs: http://mirror.example/debian/ http://other.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`))},
			want: Archive{Mirror: "http://mirror.example/debian", Suite: "bookworm",
				Components: []string{"main", "contrib"}, Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
			all: []Archive{
				{Mirror: "http://mirror.example/debian", Suite: "bookworm", Components: []string{"main", "contrib"}, Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
				{Mirror: "http://mirror.example/debian", Suite: "bookworm-updates", Components: []string{"main", "contrib"}, Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
				{Mirror: "http://other.example/debian", Suite: "bookworm", Components: []string{"main", "contrib"}, Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
				{Mirror: "http://other.example/debian", Suite: "bookworm-updates", Components: []string{"main", "contrib"}, Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
			}},
		{name: "deb822 disabled and deb-src entries skipped", files: []fs.PathOp{fs.WithDir("sources.list.d",
			fs.WithFile("a.sources", "Types: deb-src\nURIs: http://src.example/debian\nSuites: sid\nComponents: main\n\n"+
				"Types: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: sid\nComponents: main\n\n"+
				"types: deb\nuris: http://on.example/debian\nsuites: trixie\ncomponents: main\n"))},
			want: Archive{Mirror: "http://on.example/debian", Suite: "trixie", Components: []string{"main"}}},
		{name: "one-line with options", files: []fs.PathOp{
			fs.WithFile("sources.list", "# deb http://commented.example/debian sid main\n"+
				"deb-src http://src.example/debian bookworm main\n"+
				"deb [arch=amd64,armhf signed-by=/etc/apt/keyrings/x.gpg] http://one.example/debian/ bookworm main non-free # trailing\n")},
			want: Archive{Mirror: "http://one.example/debian", Suite: "bookworm",
				Components: []string{"main", "non-free"}, Keyring: "/etc/apt/keyrings/x.gpg"}},
		{name: "sources.list first, then sources.list.d by name", files: []fs.PathOp{
			fs.WithFile("sources.list", "# nothing here\n"),
			fs.WithDir("sources.list.d",
				fs.WithFile("b.sources", "Types: deb\nURIs: http://b.example/d\nSuites: b\nComponents: main\n"),
				fs.WithFile("a.list", "deb http://a.example/d a main\n"),
				fs.WithFile("0.list.disabled", "deb http://disabled.example/d x main\n"))},
			want: Archive{Mirror: "http://a.example/d", Suite: "a", Components: []string{"main"}},
			all: []Archive{
				{Mirror: "http://a.example/d", Suite: "a", Components: []string{"main"}},
				{Mirror: "http://b.example/d", Suite: "b", Components: []string{"main"}},
			}},
		{name: "no deb entry", files: []fs.PathOp{fs.WithFile("sources.list", "deb-src http://x.example/d a main\n")},
			err: "no deb entry"},
		{name: "embedded key", files: []fs.PathOp{fs.WithDir("sources.list.d",
			fs.WithFile("k.sources", "Types: deb\nURIs: http://k.example/d\nSuites: a\nComponents: main\n"+
				"Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n xsBNBF\n -----END PGP PUBLIC KEY BLOCK-----\n"))},
			err: "embedded key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := fs.NewDir(t, "apt", tc.files...)
			all, err := hostArchives(dir.Path())
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, all[0], tc.want)
			if tc.all != nil {
				assert.DeepEqual(t, all, tc.all)
			}
		})
	}
}

func TestArchForPlatform(t *testing.T) {
	cases := []struct {
		platform string
		want     string
		err      string
	}{
		{platform: "linux/amd64", want: "amd64"},
		{platform: "linux/arm/v7", want: "armhf"},
		{platform: "linux/arm", want: "armhf"},
		{platform: "linux/arm64", want: "arm64"},
		{platform: "linux/arm/v6", err: "linux/arm/v6: Debian has no ARMv6"},
		{platform: "linux/arm/v5", err: "linux/arm/v5: would be Debian armel"},
		{platform: "windows/amd64", err: "windows/amd64"},
		{platform: "linux/riscv64", err: "linux/riscv64: no Debian architecture"},
	}
	for _, tc := range cases {
		p, err := v1.ParsePlatform(tc.platform)
		assert.NilError(t, err)
		got, err := ArchForPlatform(*p)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err)
			assert.Assert(t, errors.Is(err, errdefs.ErrInvalid))
			continue
		}
		assert.NilError(t, err)
		assert.Equal(t, got, tc.want, tc.platform)
	}
}
