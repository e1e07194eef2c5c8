package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/snapshotter"
)

// storeWithIndex makes a store holding a linux/amd64 + linux/arm/v7 index
// named ref, and returns the store folder and the index digest.
func storeWithIndex(t *testing.T, ref string) (string, v1.Hash) {
	t.Helper()
	root := t.TempDir()
	s, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
	assert.NilError(t, err)
	var idx v1.ImageIndex = empty.Index
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}} {
		img, err := random.Image(1024, 2)
		assert.NilError(t, err)
		cf, err := img.ConfigFile()
		assert.NilError(t, err)
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		img, err = mutate.ConfigFile(img, cf)
		assert.NilError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	h, err := s.WriteIndex(context.Background(), ref, idx)
	assert.NilError(t, err)
	return root, h
}

func TestImageCommands(t *testing.T) {
	root, h := storeWithIndex(t, "owner/robot:v1")
	cli := func(args ...string) (int, string, string) {
		return runCLI(t, append(args, "--root", root)...)
	}

	code, out, errOut := cli("images")
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(out, "NAME"))
	assert.Check(t, is.Contains(out, "/owner/robot:v1"))
	assert.Check(t, is.Contains(out, h.String()[:19]))
	assert.Check(t, is.Contains(out, "linux/amd64,linux/arm/v7"))

	code, _, errOut = cli("tag", "owner/robot:v1", "owner/robot:stable")
	assert.Equal(t, code, 0, errOut)
	_, out, _ = cli("images")
	assert.Check(t, is.Equal(strings.Count(out, h.String()[:19]), 2), out)

	code, out, errOut = cli("inspect", "--platform", "linux/arm", "owner/robot:stable")
	assert.Equal(t, code, 0, errOut)
	var in snapshotter.Inspection
	assert.NilError(t, json.Unmarshal([]byte(out), &in))
	assert.Check(t, is.Equal(in.Digest, h))
	assert.Assert(t, is.Len(in.Manifests, 1))
	var cf v1.ConfigFile
	assert.NilError(t, json.Unmarshal(in.Manifests[0].Config, &cf))
	assert.Check(t, is.Equal(cf.Architecture+"/"+cf.Variant, "arm/v7"))

	code, out, _ = cli("inspect", "owner/robot:v1")
	assert.Equal(t, code, 0)
	assert.NilError(t, json.Unmarshal([]byte(out), &in))
	assert.Check(t, is.Len(in.Manifests, 2))
	assert.Check(t, in.Index != nil)

	code, out, errOut = cli("rmi", "owner/robot:stable")
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(out, "removed "))

	code, out, errOut = cli("prune")
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(out, "removed 0 blobs"))

	code, _, errOut = cli("store", "verify")
	assert.Equal(t, code, 0, errOut)
}

func TestImageCommandErrors(t *testing.T) {
	root, _ := storeWithIndex(t, "owner/robot:v1")
	cases := []struct {
		name string
		args []string
		code int
		err  []string
	}{
		{name: "bad reference", args: []string{"inspect", "Owner/Robot"}, code: 2, err: []string{`"Owner/Robot"`}},
		{name: "bad tag target", args: []string{"tag", "owner/robot:v1", "owner/robot:bad tag"}, code: 2, err: []string{"owner/robot:bad tag"}},
		{name: "missing image", args: []string{"rmi", "owner/nothere:v1"}, code: 2, err: []string{"owner/nothere:v1"}},
		{name: "missing platform", args: []string{"inspect", "--platform", "linux/riscv64", "owner/robot:v1"}, code: 2,
			err: []string{"linux/riscv64", "linux/amd64, linux/arm/v7"}},
		{name: "junk platform", args: []string{"inspect", "--platform", "linux/armv99", "owner/robot:v1"}, code: 2, err: []string{"linux/armv99"}},
		{name: "pull flags conflict", args: []string{"pull", "--platform", "linux/amd64", "--all-platforms", "owner/robot:v1"}, code: 2, err: []string{"exclude"}},
		{name: "save to a folder", args: []string{"save", "-o", "/", "owner/robot:v1"}, code: 2, err: []string{"folder"}},
		{name: "load missing file", args: []string{"load", "-i", "/nonexistent.tar"}, code: 2, err: []string{"/nonexistent.tar"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(tc.args, "--root", root)...)
			assert.Equal(t, code, tc.code, "stdout: %s\nstderr: %s", out, errOut)
			for _, want := range tc.err {
				assert.Check(t, is.Contains(errOut, want))
			}
		})
	}
}

// store verify exits 1 and lists a corrupted blob; --repair removes it.
func TestStoreVerifyCLI(t *testing.T) {
	root, h := storeWithIndex(t, "owner/robot:v1")
	p := filepath.Join(root, "content", "blobs", "sha256", h.Hex)
	assert.NilError(t, os.Chmod(p, 0o644))
	assert.NilError(t, os.WriteFile(p, []byte("not the index"), 0o644))

	code, out, _ := runCLI(t, "store", "verify", "--root", root)
	assert.Equal(t, code, 1)
	assert.Check(t, is.Contains(out, h.String()))
	code, _, _ = runCLI(t, "store", "verify", "--repair", "--root", root)
	assert.Equal(t, code, 1)
	code, _, errOut := runCLI(t, "store", "verify", "--root", root)
	assert.Equal(t, code, 0, errOut)
}

// push, pull, save and load through the CLI, against the embedded
// registry on loopback.
func TestPushPullSaveLoadCLI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stop, err := snapshotter.ServeRegistry(ctx, "127.0.0.1:0", t.TempDir())
	assert.NilError(t, err)
	defer stop()

	root, h := storeWithIndex(t, "owner/robot:v1")
	ref := addr + "/owner/robot:v1"
	code, _, errOut := runCLI(t, "push", "owner/robot:v1", "--to", ref, "--root", root)
	assert.Equal(t, code, 0, errOut)

	other := t.TempDir()
	code, _, errOut = runCLI(t, "pull", "--all-platforms", ref, "--root", other, "--log-format", "json")
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(errOut, h.String()))
	// --log-format json: one JSON object per line, a line per blob.
	blobs := 0
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var rec map[string]any
		assert.NilError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == "pull" && strings.HasPrefix(fmt.Sprint(rec["blob"]), "sha256:") {
			blobs++
		}
	}
	assert.Check(t, is.Equal(blobs, 9), "index, 2 manifests, 2 configs, 4 layers: %s", errOut)
	code, out, _ := runCLI(t, "images", "--root", other)
	assert.Equal(t, code, 0)
	assert.Check(t, is.Contains(out, "linux/amd64,linux/arm/v7"))

	tar := filepath.Join(t.TempDir(), "robot.tar")
	code, _, errOut = runCLI(t, "save", "-o", tar, "--platform", "linux/arm/v7", ref, "--root", other)
	assert.Equal(t, code, 0, errOut)
	third := t.TempDir()
	code, _, errOut = runCLI(t, "load", "-i", tar, "--root", third)
	assert.Equal(t, code, 0, errOut)
	code, out, _ = runCLI(t, "images", "--root", third)
	assert.Equal(t, code, 0)
	assert.Check(t, is.Contains(out, ref))
	assert.Check(t, is.Contains(out, h.String()[:19]), "the index keeps its digest through save and load")
	assert.Check(t, is.Contains(out, "linux/amd64,linux/arm/v7"))
}
