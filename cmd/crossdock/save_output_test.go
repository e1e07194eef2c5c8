package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// tarNames lists the entries of a tar stream.
func tarNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		assert.NilError(t, err)
		names = append(names, h.Name)
	}
}

func assertSaveTar(t *testing.T, data []byte) {
	t.Helper()
	names := tarNames(t, bytes.NewReader(data))
	assert.Check(t, is.Contains(names, "manifest.json"))
	assert.Check(t, is.Contains(names, "index.json"))
}

// save never replaces what is not a regular file: stdout, devices, FIFOs
// and symlinks are written through or resolved.
func TestSaveOutputKinds(t *testing.T) {
	const ref = "127.0.0.1:5115/owner/robot:v1"
	root, _ := storeWithIndex(t, ref)

	t.Run("dash streams to stdout", func(t *testing.T) {
		code, out, errOut := runCLI(t, "save", "-o", "-", ref, "--root", root)
		assert.Equal(t, code, 0, errOut)
		assertSaveTar(t, []byte(out))
	})
	t.Run("no -o and stdout not a terminal streams to stdout", func(t *testing.T) {
		code, out, errOut := runCLI(t, "save", ref, "--root", root)
		assert.Equal(t, code, 0, errOut)
		assertSaveTar(t, []byte(out))
	})
	t.Run("device is written through", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "null")
		assert.NilError(t, os.Symlink("/dev/null", link))
		code, _, errOut := runCLI(t, "save", "-o", link, ref, "--root", root)
		assert.Equal(t, code, 0, errOut)
		fi, err := os.Lstat(link)
		assert.NilError(t, err)
		assert.Check(t, fi.Mode()&os.ModeSymlink != 0, "the link was replaced")
		fi, err = os.Stat("/dev/null")
		assert.NilError(t, err)
		assert.Check(t, fi.Mode()&os.ModeCharDevice != 0, "/dev/null is no longer a device")
	})
	t.Run("fifo is written through", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "pipe")
		assert.NilError(t, syscall.Mkfifo(fifo, 0o600))
		got := make(chan []byte)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- b
		}()
		code, _, errOut := runCLI(t, "save", "-o", fifo, ref, "--root", root)
		assert.Equal(t, code, 0, errOut)
		assertSaveTar(t, <-got)
		fi, err := os.Lstat(fifo)
		assert.NilError(t, err)
		assert.Check(t, fi.Mode()&os.ModeNamedPipe != 0, "the FIFO was replaced")
	})
	t.Run("symlink to a file replaces the target", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target.tar")
		link := filepath.Join(dir, "link.tar")
		assert.NilError(t, os.WriteFile(target, []byte("old"), 0o644))
		assert.NilError(t, os.Symlink("target.tar", link))
		code, _, errOut := runCLI(t, "save", "-o", link, ref, "--root", root)
		assert.Equal(t, code, 0, errOut)
		fi, err := os.Lstat(link)
		assert.NilError(t, err)
		assert.Check(t, fi.Mode()&os.ModeSymlink != 0, "the link was replaced")
		data, err := os.ReadFile(target)
		assert.NilError(t, err)
		assertSaveTar(t, data)
	})
	t.Run("stale temp files of a killed save are removed", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "robot.tar")
		stale := filepath.Join(dir, ".robot.tar.tmp-123456")
		assert.NilError(t, os.WriteFile(stale, []byte("half"), 0o644))
		code, _, errOut := runCLI(t, "save", "-o", out, ref, "--root", root)
		assert.Equal(t, code, 0, errOut)
		ents, err := os.ReadDir(dir)
		assert.NilError(t, err)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		assert.Check(t, is.DeepEqual(names, []string{"robot.tar"}), strings.Join(names, " "))
	})
}
