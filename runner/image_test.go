package runner

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/flock"
	"github.com/crossdock/crossdock/internal/testhost"
	"github.com/crossdock/crossdock/internal/testimage"
)

// Debian armhf programs run in an arm/v7 container on this x86 host:
// busybox (static) and python3 (dynamic: its loader and libraries come
// from the image), from images put in the store and run by reference.
func TestDebianArmhfImages(t *testing.T) {
	needPlatform(t, "linux/arm/v7")
	testhost.RequireProgram(t, "apt-get", "apt")
	testhost.RequireProgram(t, "dpkg-deb", "dpkg")
	root := t.TempDir()
	r := newTestRuntimeAt(t, root)

	cases := []struct {
		name  string
		debs  []string
		links map[string]string
		cmd   []string
		want  string
	}{
		{
			name:  "busybox",
			debs:  []string{"busybox-static"},
			links: map[string]string{"bin/sh": "busybox", "bin/uname": "busybox"},
			cmd:   []string{"uname", "-m"},
			want:  "armv7l\n",
		},
		{
			name: "python3",
			debs: []string{"python3.11-minimal", "libpython3.11-minimal", "libc6", "libgcc-s1",
				"zlib1g", "libexpat1"},
			links: map[string]string{"usr/bin/python3": "python3.11"},
			cmd:   []string{"python3", "-c", "import platform; print(platform.machine())"},
			want:  "armv7l\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, deb := range fetchDebs(t, "armhf", tc.debs...) {
				out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput()
				assert.NilError(t, err, "dpkg-deb -x %s: %s", deb, out)
			}
			for link, target := range tc.links {
				assert.NilError(t, os.Symlink(target, filepath.Join(dir, link)))
			}
			ref := "test/" + tc.name + ":armhf"
			storeImage(t, root, ref, "arm", "v7", dir)

			var out, errOut bytes.Buffer
			code, err := r.Run(context.Background(), Spec{Image: ref, Platform: "linux/arm/v7",
				Cmd: tc.cmd, AutoRemove: true}, Stdio{Stdout: &out, Stderr: &errOut})
			assert.NilError(t, err)
			assert.Equal(t, code, 0, errOut.String())
			assert.Check(t, is.Equal(out.String(), tc.want))
		})
	}
}

// newTestRuntimeAt is newTestRuntime with a root that the test also uses
// for the image store.
func newTestRuntimeAt(t *testing.T, root string) *Runtime {
	t.Helper()
	r, err := New(root, WithHelperBinary(fixtures.crossdock))
	assert.NilError(t, err)
	t.Cleanup(func() { checkNothingLeft(t, r) })
	return r
}

// fetchDebs returns the .deb files of pkgs for arch, downloaded with
// apt-get from the host's mirror into a cache that outlives test runs
// (a folder under os.TempDir, keyed by file name: name_version_arch.deb).
func fetchDebs(t *testing.T, arch string, pkgs ...string) []string {
	t.Helper()
	cache := filepath.Join(os.TempDir(), "crossdock-test-debs")
	assert.NilError(t, os.MkdirAll(cache, 0o755))
	l, err := flock.Exclusive(context.Background(), filepath.Join(cache, ".lock"))
	assert.NilError(t, err)
	defer l.Unlock()

	var out []string
	for _, p := range pkgs {
		found, _ := filepath.Glob(filepath.Join(cache, p+"_*_"+arch+".deb"))
		if len(found) == 0 {
			cmd := exec.Command("apt-get", "download", p+":"+arch)
			cmd.Dir = cache
			b, err := cmd.CombinedOutput()
			assert.NilError(t, err, "apt-get download %s:%s: %s", p, arch, b)
			found, _ = filepath.Glob(filepath.Join(cache, p+"_*_"+arch+".deb"))
		}
		assert.Assert(t, len(found) == 1, "%s:%s: %v", p, arch, found)
		out = append(out, found[0])
	}
	return out
}

// storeImage writes the folder dir as a one-layer image for linux/arch
// into the store under root, named ref.
func storeImage(t *testing.T, root, ref, arch, variant, dir string) {
	storeImageB(t, root, ref, v1.Platform{OS: "linux", Architecture: arch, Variant: variant}, dir)
}

// storeImageB is storeImage for tests and benchmarks.
func storeImageB(t testing.TB, root, ref string, p v1.Platform, dir string) {
	t.Helper()
	testimage.Store(t, root, ref, p, dir,
		v1.Config{Env: []string{"PATH=/usr/bin:/bin"}, Entrypoint: entrypointOf(dir)})
}

// entrypointOf gives a probe image its entrypoint; other images have none.
func entrypointOf(dir string) []string {
	if _, err := os.Stat(filepath.Join(dir, "probe")); err == nil {
		return []string{"/probe"}
	}
	return nil
}
