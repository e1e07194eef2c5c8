package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// makeTar writes a tar of the given entries; a value starting with "->"
// is a symlink to the rest.
func makeTar(t *testing.T, entries [][2]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if len(e[1]) > 2 && e[1][:2] == "->" {
			assert.NilError(t, tw.WriteHeader(&tar.Header{Name: e[0], Typeflag: tar.TypeSymlink, Linkname: e[1][2:], Mode: 0o777}))
			continue
		}
		assert.NilError(t, tw.WriteHeader(&tar.Header{Name: e[0], Typeflag: tar.TypeReg, Size: int64(len(e[1])), Mode: 0o644}))
		_, err := tw.Write([]byte(e[1]))
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	p := filepath.Join(t.TempDir(), "in.tar")
	assert.NilError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

// load reads gzipped tars and stdin; malformed files are bad input
// (exit 2) that says what is wrong.
func TestLoadInputs(t *testing.T) {
	const ref = "owner/robot:v1"
	src, _ := storeWithIndex(t, ref)
	code, saved, errOut := runCLI(t, "save", "-o", "-", ref, "--root", src)
	assert.Equal(t, code, 0, errOut)

	t.Run("gzip", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, err := zw.Write([]byte(saved))
		assert.NilError(t, err)
		assert.NilError(t, zw.Close())
		p := filepath.Join(t.TempDir(), "robot.tar.gz")
		assert.NilError(t, os.WriteFile(p, gz.Bytes(), 0o644))
		root := t.TempDir()
		code, _, errOut := runCLI(t, "load", "-i", p, "--root", root)
		assert.Equal(t, code, 0, errOut)
		assert.Check(t, is.Contains(errOut, "/owner/robot:v1"))
	})
	t.Run("stdin", func(t *testing.T) {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"load", "-i", "-", "--root", t.TempDir()},
			bytes.NewReader([]byte(saved)), &out, &errb)
		code := report(err, &errb)
		assert.Equal(t, code, 0, errb.String())
		assert.Check(t, is.Contains(errb.String(), "/owner/robot:v1"))
	})

	bad := []struct {
		name    string
		entries [][2]string
		err     string
	}{
		{"dot-dot config", [][2]string{{"manifest.json", `[{"Config":"../etc/passwd","RepoTags":["owner/x:v1"],"Layers":[]}]`}}, "outside the file"},
		{"symlinked blob", [][2]string{{"cfg.json", "->/etc/passwd"},
			{"manifest.json", `[{"Config":"cfg.json","RepoTags":["owner/x:v1"],"Layers":[]}]`}}, "not a regular file"},
		{"oci layout without names", [][2]string{{"oci-layout", `{"imageLayoutVersion":"1.0.0"}`},
			{"index.json", `{"schemaVersion":2,"manifests":[]}`}}, "names no image"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := makeTar(t, tc.entries)
			code, _, errOut := runCLI(t, "load", "-i", p, "--root", t.TempDir())
			assert.Check(t, is.Equal(code, 2), errOut)
			assert.Check(t, is.Contains(errOut, tc.err))
		})
	}
}
