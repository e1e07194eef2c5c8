package debian

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestFetchBusyboxStaticArmhf(t *testing.T) {
	ix := realIndex(t, "armhf")
	p, ok := ix.Lookup("busybox-static")
	assert.Assert(t, ok)

	path, err := Fetch(context.Background(), ix.Archive, p, testCache)
	assert.NilError(t, err)
	sum, size, err := hashFile(path)
	assert.NilError(t, err)
	assert.Equal(t, sum, p.SHA256)
	assert.Equal(t, size, p.Size)

	var names []string
	var busybox []byte
	err = DataEntries(path, func(hdr *tar.Header, r io.Reader) error {
		names = append(names, hdr.Name)
		if hdr.Name == "bin/busybox" {
			busybox, err = io.ReadAll(r)
			return err
		}
		return nil
	})
	assert.NilError(t, err)
	assert.Assert(t, is.Contains(names, "bin/busybox"))
	assert.Assert(t, is.Contains(names, "usr/share"))
	for _, n := range names {
		assert.Assert(t, !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "/") && !strings.HasSuffix(n, "/"), n)
	}

	bin, err := elf.NewFile(bytes.NewReader(busybox))
	assert.NilError(t, err)
	assert.Equal(t, bin.Machine, elf.EM_ARM)
	assert.Equal(t, bin.Class, elf.ELFCLASS32)
	assert.Equal(t, bin.Type, elf.ET_EXEC) // static, not a PIE needing a loader
}

func TestFetchWrongDigest(t *testing.T) {
	ix := realIndex(t, "armhf")
	p, ok := ix.Lookup("busybox-static")
	assert.Assert(t, ok)
	bad := p
	bad.SHA256 = strings.Repeat("0", 64)

	cache := t.TempDir()
	_, err := Fetch(context.Background(), ix.Archive, bad, cache)
	assert.Assert(t, errors.Is(err, ErrDigestMismatch), "%v", err)
	assert.ErrorContains(t, err, p.Filename)
	assert.ErrorContains(t, err, "got "+p.SHA256)

	// Nothing under the good name, the bad name, or a temporary name.
	left, err := filepath.Glob(filepath.Join(cache, "sha256", "*"))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(left, 0))
}

func TestFetchReplacesCorruptCacheFile(t *testing.T) {
	ix := realIndex(t, "armhf")
	p, ok := ix.Lookup("busybox-static")
	assert.Assert(t, ok)

	cache := t.TempDir()
	corrupt := filepath.Join(cache, "sha256", p.SHA256)
	assert.NilError(t, os.MkdirAll(filepath.Dir(corrupt), 0o755))
	assert.NilError(t, os.WriteFile(corrupt, []byte("truncated"), 0o644))

	var reports []Progress
	path, err := Fetch(context.Background(), ix.Archive, p, cache,
		WithProgress(func(pr Progress) { reports = append(reports, pr) }))
	assert.NilError(t, err)
	assert.Equal(t, path, corrupt)
	sum, _, err := hashFile(path)
	assert.NilError(t, err)
	assert.Equal(t, sum, p.SHA256)
	assert.DeepEqual(t, reports, []Progress{{URL: ix.Archive.url(p.Filename), Bytes: p.Size}})

	// A second fetch is a cache hit.
	reports = nil
	_, err = Fetch(context.Background(), ix.Archive, p, cache,
		WithProgress(func(pr Progress) { reports = append(reports, pr) }))
	assert.NilError(t, err)
	assert.DeepEqual(t, reports, []Progress{{URL: ix.Archive.url(p.Filename), Bytes: p.Size, Cached: true}})
}

func TestCleanName(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "./usr/bin/x", want: "usr/bin/x"},
		{in: "./usr/", want: "usr"},
		{in: "./", want: ""},
		{in: "/etc/passwd", want: "etc/passwd"},
		{in: "usr//lib/./x", want: "usr/lib/x"},
		{in: "./../etc/x", err: "climbs out"},
		{in: "usr/../../x", err: "climbs out"},
	}
	for _, tc := range cases {
		got, err := cleanName(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		assert.NilError(t, err)
		assert.Equal(t, got, tc.want, tc.in)
	}
}
