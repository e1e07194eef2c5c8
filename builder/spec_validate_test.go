package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// TestLoadRefusesBadValues checks the values a tester found accepted:
// each fails at load, exit 2, naming the file and (where there is one) line.
func TestLoadRefusesBadValues(t *testing.T) {
	files := func(entry string) string {
		return "name: a/b:1\nlayers:\n  - files:\n      - {src: f, dest: /x}\n      - " + entry + "\n"
	}
	cases := []struct{ name, spec, want string }{
		{"uid negative", files("{src: f, dest: /y, uid: -5}"), "uid -5: want 0..2097151 (entry at line 5)"},
		{"gid too big", files("{src: f, dest: /y, gid: 4294967295}"), "gid 4294967295: want 0..2097151"},
		{"uid huge", files("{src: f, dest: /y, uid: 99999999999}"), "uid 99999999999"},
		{"dest root for a file", files("{src: f, dest: /}"), `dest "/": src "f" is not a folder`},
		{"dest trailing slash for a file", files("{src: f, dest: /etc/}"), `dest "/etc/"`},
		{"dest whiteout", files("{src: f, dest: /etc/.wh..wh..opq}"), "whiteouts"},
		{"dest whiteout folder", files("{src: d, dest: /.wh.etc}"), "whiteouts"},
		{"dest dotdot", files("{src: f, dest: /a/../etc/passwd}"), `".." is not allowed`},
		{"go dest whiteout", "name: a\nlayers:\n  - go: {packages: [.], dest: /.wh.usr}\n", "whiteouts"},
		{"mode decimal", files("{src: f, dest: /y, mode: 755}"), `:5: mode "755": want an octal mode`},
		{"mode too big", files("{src: f, dest: /y, mode: 077777}"), `:5: mode "077777": want at most 07777`},
		{"port name", "name: a\nconfig: {ports: [http]}\nlayers: [{uroot: {}}]\n", `ports: "http"`},
		{"port range", "name: a\nconfig: {ports: [99999/tcp]}\nlayers: [{uroot: {}}]\n", `ports: "99999/tcp"`},
		{"port proto", "name: a\nconfig: {ports: [80/sctpx]}\nlayers: [{uroot: {}}]\n", `protocol "sctpx"`},
		{"no platforms", "name: a\nplatforms: []\nlayers: [{uroot: {}}]\n", "platforms: an empty list"},
		{"negative epoch", "name: a\nepoch: -5\nlayers: [{uroot: {}}]\n", "epoch -5"},
		{"bad name", "name: \"UPPER CASE::bad\"\nlayers: [{uroot: {}}]\n", `name "UPPER CASE::bad"`},
		{"missing src", files("{src: nope, dest: /y}"), `src "nope"`},
		{"empty spec", "", ": empty spec"},
		{"top-level list", "- a\n- b\n", ":1: want a mapping of keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSpec(t, tc.spec, map[string]string{"f": "x", "d/g": "y", "go.mod": "module m\n"})
			_, err := Load(p)
			assert.Assert(t, err != nil)
			assert.Check(t, is.Contains(err.Error(), p))
			assert.Check(t, is.Contains(err.Error(), tc.want))
			assert.Check(t, errors.Is(err, errdefs.ErrInvalid))
		})
	}
}

func TestLoadTakesGoodValues(t *testing.T) {
	p := writeSpec(t, `name: a/b:1
config: {ports: ["80", 53/udp, 9/sctp]}
layers:
  - files:
      - {src: f, dest: /x, mode: "0755", uid: 2097151}
      - {src: f, dest: /y, mode: 0o4755}
      - {src: d, dest: /}
      - {src: f, dest: /z, mode: 0}
`, map[string]string{"f": "x", "d/g": "y"})
	s, err := Load(p)
	assert.NilError(t, err)
	fs := s.Layers[0].Files
	assert.Equal(t, *fs[0].Mode, FileMode(0o755))
	assert.Equal(t, *fs[1].Mode, FileMode(0o4755))
	assert.Equal(t, *fs[3].Mode, FileMode(0))
	assert.Equal(t, fs[1].Line, 6)
}

// TestFilesStayInTheContext puts a symlinked folder in the context that
// points out of it: a source through it is refused, at load and at build.
func TestFilesStayInTheContext(t *testing.T) {
	p := writeSpec(t, "name: a/b:1\nlayers:\n  - files:\n      - {src: sub/dirout/passwd, dest: /p}\n",
		map[string]string{"sub/keep": ""})
	assert.NilError(t, os.Symlink("../../../../../../../../etc", filepath.Join(filepath.Dir(p), "sub", "dirout")))
	_, err := Load(p)
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, p+":3:")
	assert.ErrorContains(t, err, "outside the build context")

	// A link kept as a link is fine, even one pointing out.
	p = writeSpec(t, "name: a/b:1\nplatforms: [linux/amd64]\nlayers:\n  - files:\n"+
		"      - {src: sub, dest: /s}\n      - {src: sub/passwd, dest: /p}\n",
		map[string]string{"sub/passwd": "k"})
	assert.NilError(t, os.Symlink("/etc/passwd", filepath.Join(filepath.Dir(p), "sub", "link")))
	s, err := Load(p)
	assert.NilError(t, err)
	// The context is changed after the load: the build checks again.
	sub := filepath.Join(filepath.Dir(p), "sub")
	assert.NilError(t, os.RemoveAll(sub))
	assert.NilError(t, os.Symlink("/etc", sub))
	_, err = Build(context.Background(), s, WithCacheDir(t.TempDir()))
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, "outside the build context")
}

func TestFilesTwoEntriesOnOnePath(t *testing.T) {
	p := writeSpec(t, `name: a/b:1
platforms: [linux/amd64]
layers:
  - files:
      - {src: d, dest: /etc}
      - {src: f, dest: /etc/g}
`, map[string]string{"f": "x", "d/g": "y"})
	s, err := Load(p)
	assert.NilError(t, err)
	_, err = Build(context.Background(), s, WithCacheDir(t.TempDir()))
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, p+":6:")
	assert.ErrorContains(t, err, "line 5")
	assert.Assert(t, strings.Contains(err.Error(), "/etc/g"))
}
