package builder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// writeSpec writes a spec into a new build context and returns its path.
func writeSpec(t *testing.T, spec string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	p := filepath.Join(dir, "crossdock.yaml")
	assert.NilError(t, os.WriteFile(p, []byte(spec), 0o644))
	return p
}

func TestLoadDefaults(t *testing.T) {
	p := writeSpec(t, `name: x/y:1
layers:
  - uroot: {}
  - go:
      packages: [./cmd/a]
  - debian:
      packages: [hello]
`, nil)
	s, err := Load(p)
	assert.NilError(t, err)
	assert.DeepEqual(t, s.Platforms, []string{"linux/arm/v7", "linux/amd64"})
	assert.DeepEqual(t, s.Layers[0].URoot.Commands, DefaultURootCommands)
	assert.Equal(t, s.Layers[1].Go.Module, ".")
	assert.Equal(t, s.Layers[1].Go.Dest, "/usr/bin")
	assert.Equal(t, s.Layers[2].Debian.Suite, "bookworm")
	assert.Equal(t, s.Layers[2].Line, 6)
	assert.Equal(t, s.Context, filepath.Dir(p))
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name string
		spec string
		want string // after "FILE"
	}{
		{name: "unknown top key", spec: "name: a\nplatfroms: [linux/amd64]\nlayers: [{uroot: {}}]\n",
			want: `:2: unknown key "platfroms"`},
		{name: "unknown config key", spec: "name: a\nconfig:\n  entrypiont: [x]\nlayers: [{uroot: {}}]\n",
			want: `:3: unknown key "entrypiont"`},
		{name: "unknown source kind", spec: "name: a\nlayers:\n  - uroot: {}\n  - apt:\n      packages: [x]\n",
			want: `:4: unknown key "apt"`},
		{name: "unknown key in a go source", spec: "name: a\nlayers:\n  - go:\n      packages: [.]\n      ldflag: -s\n",
			want: `:5: unknown key "ldflag"`},
		{name: "two kinds in one source", spec: "name: a\nlayers:\n  - uroot: {}\n    base: {ref: x}\n",
			want: ":3: layer 1: want exactly one of"},
		{name: "go without packages", spec: "name: a\nlayers:\n  - go: {module: .}\n",
			want: ":3: layer 1 (go): packages:"},
		{name: "files outside the context", spec: "name: a\nlayers:\n  - files:\n      - {src: ../x, dest: /x}\n",
			want: `:3: layer 1 (files): path "../x": outside the build context`},
		{name: "bad platform", spec: "name: a\nplatforms: [linux/s390x]\nlayers: [{uroot: {}}]\n",
			want: `: platforms: platform "linux/s390x": not supported`},
		{name: "base not first", spec: "name: a\nlayers:\n  - uroot: {}\n  - base: {ref: x}\n",
			want: ":4: layer 2: base must be the first layer source"},
		{name: "no name", spec: "layers: [{uroot: {}}]\n", want: ": name: required"},
		{name: "wrong type", spec: "name: a\nplatforms: linux/amd64\nlayers: [{uroot: {}}]\n",
			want: ":2: cannot unmarshal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSpec(t, tc.spec, nil)
			_, err := Load(p)
			assert.Assert(t, err != nil)
			assert.Check(t, is.Contains(err.Error(), p+tc.want))
			assert.Check(t, errors.Is(err, errdefs.ErrInvalid), "exit code 2 needs ErrInvalid")
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]string{
		"linux/arm": "linux/arm/v7", "linux/arm/v7": "linux/arm/v7",
		"linux/amd64": "linux/amd64", "linux/arm64": "linux/arm64",
	} {
		got, err := parsePlatform(in)
		assert.NilError(t, err, in)
		assert.Equal(t, got.String(), want)
	}
	arm, _ := parsePlatform("linux/arm")
	assert.Equal(t, arm.GOARM, "7")
	assert.Equal(t, arm.Debian, "armhf")
	for _, bad := range []string{"linux/arm/v6", "windows/amd64", "amd64", "linux/amd64/v3"} {
		_, err := parsePlatform(bad)
		assert.Check(t, err != nil, bad)
	}
	_, err := parsePlatforms([]string{"linux/arm", "linux/arm/v7"})
	assert.ErrorContains(t, err, "named twice")
}
