package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/snapshotter"
)

// buildCache is shared by the build tests of this package and kept between
// runs, so u-root is compiled once per machine, not once per test.
func buildCache(t *testing.T) string {
	dir := filepath.Join(os.TempDir(), "crossdock-cli-build-cache")
	assert.NilError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// copyExample copies examples/NAME into a temp folder and returns the
// spec's path there (a build writes the lockfile next to the spec).
func copyExample(t *testing.T, name string) string {
	dir := t.TempDir()
	out, err := exec.Command("cp", "-r", filepath.Join("..", "..", "examples", name), dir).CombinedOutput()
	assert.NilError(t, err, string(out))
	return filepath.Join(dir, name, "crossdock.yaml")
}

func TestBuildStoresTheIndexAndWritesOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds u-root")
	}
	spec := copyExample(t, "hello-go")
	root, out := t.TempDir(), t.TempDir()
	code, stdout, stderr := runCLI(t, "build", "-f", spec, "--root", root, "--locked",
		"--cache-dir", buildCache(t), "--output", "oci:"+filepath.Join(out, "oci"))
	assert.Equal(t, code, 0, stderr)
	ref, digest, ok := strings.Cut(strings.TrimSpace(stdout), " ")
	assert.Assert(t, ok, stdout)
	assert.Equal(t, ref, "crossdock.local/examples/hello-go:latest")

	s, err := snapshotter.Open(root)
	assert.NilError(t, err)
	idx, err := s.Index(context.Background(), ref)
	assert.NilError(t, err)
	h, _ := idx.Digest()
	assert.Equal(t, h.String(), digest)
	_, err = os.Stat(filepath.Join(out, "oci", "index.json"))
	assert.NilError(t, err)

	// --tag and a one-platform docker tarball.
	code, _, stderr = runCLI(t, "build", "-f", spec, "--root", root, "--cache-dir", buildCache(t),
		"--platform", "linux/arm/v7", "--tag", "test/hello:arm",
		"--output", "docker:"+filepath.Join(out, "hello.tar"))
	assert.Equal(t, code, 0, stderr)
	fi, err := os.Stat(filepath.Join(out, "hello.tar"))
	assert.NilError(t, err)
	assert.Check(t, fi.Size() > 1<<20)

	// Two platforms do not fit a docker tarball.
	code, _, stderr = runCLI(t, "build", "-f", spec, "--root", root, "--cache-dir", buildCache(t),
		"--output", "docker:"+filepath.Join(out, "both.tar"))
	assert.Equal(t, code, 2, stderr)
	assert.Check(t, is.Contains(stderr, "pick it with --platform"))
}

// storeIsEmpty checks that a failed build left no image name and no blob
// in the store.
func storeIsEmpty(t *testing.T, root string) {
	t.Helper()
	s, err := snapshotter.Open(root)
	assert.NilError(t, err)
	_, err = s.Index(context.Background(), "test/bad:1")
	assert.Check(t, err != nil, "the failed build's name is in the store")
	var blobs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "blobs") {
			blobs = append(blobs, p)
		}
		return nil
	})
	assert.Check(t, is.Len(blobs, 0), "blobs left in the store: %v", blobs)
}

func TestBuildBadInputsExit2AndLeaveNothing(t *testing.T) {
	cases := []struct {
		name  string
		spec  string
		files map[string]string
		want  []string
	}{
		{
			name: "unknown key",
			spec: "name: test/bad:1\nlayers:\n  - go:\n      packages: [.]\n      flags: [-x]\n",
			want: []string{"crossdock.yaml:5: unknown key \"flags\""},
		},
		{
			name: "go package that does not build for arm",
			spec: "name: test/bad:1\nlayers:\n  - files:\n      - {src: go.mod, dest: /go.mod}\n" +
				"  - go:\n      packages: [./cmd/x]\n",
			files: map[string]string{
				"go.mod":             "module example.com/bad\n\ngo 1.22\n",
				"cmd/x/main.go":      "package main\n\nfunc main() { f() }\n",
				"cmd/x/f_linux.go":   "//go:build amd64\n\npackage main\n\nfunc f() {}\n",
				"cmd/x/doc_other.go": "package main\n",
			},
			want: []string{"go package ./cmd/x", "does not build for linux/arm/v7", "undefined: f"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				assert.NilError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
				assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
			}
			spec := filepath.Join(dir, "crossdock.yaml")
			assert.NilError(t, os.WriteFile(spec, []byte(tc.spec), 0o644))
			root := t.TempDir()
			code, _, stderr := runCLI(t, "build", "-f", spec, "--root", root,
				"--cache-dir", t.TempDir())
			assert.Equal(t, code, 2, stderr)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(stderr, w))
			}
			storeIsEmpty(t, root)
		})
	}
}

func TestLockWritesTheLockfile(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/l\n\ngo 1.22\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	spec := filepath.Join(dir, "crossdock.yaml")
	assert.NilError(t, os.WriteFile(spec, []byte("name: test/l:1\nlayers:\n  - go: {packages: [.]}\n"), 0o644))

	code, stdout, stderr := runCLI(t, "lock", "-f", spec, "--root", t.TempDir(), "--cache-dir", t.TempDir())
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, strings.TrimSpace(stdout), filepath.Join(dir, "crossdock.lock"))
	data, err := os.ReadFile(filepath.Join(dir, "crossdock.lock"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(data), `"goMod": "sha256:`))

	code, _, stderr = runCLI(t, "build", "-f", spec, "--locked", "--root", t.TempDir(),
		"--cache-dir", t.TempDir(), "--platform", "linux/amd64")
	assert.Equal(t, code, 0, stderr)
}
