package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestBuildRefusesOutputsUpFront checks that an output path holding
// something that is not ours to replace fails with exit 2 naming it, before
// anything is built, and is left as it was.
func TestBuildRefusesOutputsUpFront(t *testing.T) {
	spec := copyExample(t, "hello-go")
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious")
	assert.NilError(t, os.Mkdir(precious, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(precious, "notes"), []byte("x"), 0o644))
	outs := map[string]string{
		"oci:" + precious: precious,
		"docker:" + dir:   dir,
		"docker:" + filepath.Join(dir, "no", "x.tar"): filepath.Join(dir, "no"),
		"docker:" + filepath.Join(dir, "both.tar"):    "pick it with --platform",
	}
	if os.Geteuid() == 0 {
		dev := filepath.Join(dir, "null")
		assert.NilError(t, unix.Mknod(dev, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		outs["oci:"+dev] = dev
		outs["docker:"+dev] = dev
	}
	for out, want := range outs {
		root := t.TempDir()
		code, _, stderr := runCLI(t, "build", "-f", spec, "--root", root,
			"--cache-dir", t.TempDir(), "--output", out)
		assert.Check(t, is.Equal(code, 2), "%s: %s", out, stderr)
		assert.Check(t, is.Contains(stderr, want), out)
		storeIsEmpty(t, root)
	}
	_, err := os.Stat(filepath.Join(precious, "notes"))
	assert.NilError(t, err)
	fi, err := os.Lstat(filepath.Join(dir, "null"))
	if err == nil {
		assert.Assert(t, fi.Mode()&os.ModeCharDevice != 0, "the device became %s", fi.Mode())
	}
}

func TestBuildRefusesPushingALocalName(t *testing.T) {
	spec := copyExample(t, "hello-go")
	root := t.TempDir()
	code, _, stderr := runCLI(t, "build", "-f", spec, "--root", root,
		"--cache-dir", t.TempDir(), "--push")
	assert.Equal(t, code, 2, stderr)
	assert.Check(t, is.Contains(stderr, "crossdock.local/examples/hello-go:latest is under crossdock.local"))
	storeIsEmpty(t, root)
}

func TestBuildRefusesEmptyPlatformsAndBadEpochs(t *testing.T) {
	spec := copyExample(t, "hello-go")
	for _, tc := range []struct {
		epoch string
		args  []string
		want  string
	}{
		{args: []string{"--platform", ""}, want: "--platform: empty"},
		{epoch: "99999999999999", want: `SOURCE_DATE_EPOCH="99999999999999"`},
		{epoch: "-1", want: `SOURCE_DATE_EPOCH="-1"`},
		{epoch: "soon", want: `SOURCE_DATE_EPOCH="soon"`},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", tc.epoch) // "" is unset for crossdock
		for _, cmd := range []string{"build", "lock"} {
			root := t.TempDir()
			args := append([]string{cmd, "-f", spec, "--root", root, "--cache-dir", t.TempDir()}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			assert.Check(t, is.Equal(code, 2), "%v: %s", args, stderr)
			assert.Check(t, is.Contains(stderr, tc.want), "%v", args)
			storeIsEmpty(t, root)
		}
	}
}

func TestBuildWarnsWhenFewerPlatformsReplaceTheStoredIndex(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "crossdock.yaml")
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644))
	assert.NilError(t, os.WriteFile(spec, []byte("name: test/few:1\nlayers:\n  - files: [{src: f, dest: /f}]\n"), 0o644))
	root, cache := t.TempDir(), t.TempDir()
	code, _, stderr := runCLI(t, "build", "-f", spec, "--root", root, "--cache-dir", cache,
		"--platform", "linux/amd64")
	assert.Equal(t, code, 0, stderr)
	assert.Check(t, is.Contains(stderr, "--platform builds fewer platforms than the spec names"))
	code, _, stderr = runCLI(t, "build", "-f", spec, "--root", root, "--cache-dir", cache,
		"--platform", "linux/amd64", "--tag", "test/few:amd64")
	assert.Equal(t, code, 0, stderr)
	assert.Check(t, !strings.Contains(stderr, "fewer platforms"), stderr)
}
