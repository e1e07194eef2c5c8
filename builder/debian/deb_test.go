package debian

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// tarOf writes a tar of the given entries; files get their name as content.
func tarOf(t *testing.T, entries ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		var data []byte
		if h.Typeflag == tar.TypeReg {
			data = []byte("content of " + h.Name)
			h.Size = int64(len(data))
		}
		assert.NilError(t, tw.WriteHeader(&h))
		_, err := tw.Write(data)
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	return buf.Bytes()
}

func compress(t *testing.T, ext string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch ext {
	case ".gz":
		w = gzip.NewWriter(&buf)
	case ".xz":
		w, err = xz.NewWriter(&buf)
	case ".zst":
		w, err = zstd.NewWriter(&buf)
	case "":
		return data
	}
	assert.NilError(t, err)
	_, err = w.Write(data)
	assert.NilError(t, err)
	assert.NilError(t, w.Close())
	return buf.Bytes()
}

// writeDeb writes an ar archive of the given members, the .deb format.
func writeDeb(t *testing.T, members ...[2]string) string {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&buf, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m[0], 0, 0, 0, "100644", len(m[1]))
		buf.WriteString(m[1])
		if len(m[1])%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	path := filepath.Join(t.TempDir(), "test.deb")
	assert.NilError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

func TestDataEntriesCompressions(t *testing.T) {
	data := tarOf(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755},
		tar.Header{Typeflag: tar.TypeDir, Name: "./usr/", Mode: 0o755},
		tar.Header{Typeflag: tar.TypeReg, Name: "./usr/bin/x", Mode: 0o755},
		tar.Header{Typeflag: tar.TypeLink, Name: "./usr/bin/y", Linkname: "./usr/bin/x"},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "./bin/sh", Linkname: "dash"},
	)
	control := compress(t, ".gz", tarOf(t, tar.Header{Typeflag: tar.TypeReg, Name: "./control", Mode: 0o644}))
	want := []string{"dir usr", "file usr/bin/x = content of ./usr/bin/x", "hardlink usr/bin/y -> usr/bin/x", "symlink bin/sh -> dash"}

	for _, ext := range []string{".xz", ".gz", ".zst", ""} {
		t.Run("data.tar"+ext, func(t *testing.T) {
			deb := writeDeb(t, [2]string{"debian-binary", "2.0\n"},
				[2]string{"control.tar.gz", string(control)},
				[2]string{"data.tar" + ext, string(compress(t, ext, data))})
			var got []string
			err := DataEntries(deb, func(hdr *tar.Header, r io.Reader) error {
				switch hdr.Typeflag {
				case tar.TypeDir:
					got = append(got, "dir "+hdr.Name)
				case tar.TypeReg:
					b, err := io.ReadAll(r)
					got = append(got, "file "+hdr.Name+" = "+string(b))
					return err
				case tar.TypeLink:
					got = append(got, "hardlink "+hdr.Name+" -> "+hdr.Linkname)
				case tar.TypeSymlink:
					got = append(got, "symlink "+hdr.Name+" -> "+hdr.Linkname)
				}
				return nil
			})
			assert.NilError(t, err)
			assert.DeepEqual(t, got, want)
		})
	}
}

func TestDataEntriesBadDebs(t *testing.T) {
	escape := tarOf(t, tar.Header{Typeflag: tar.TypeReg, Name: "./../../etc/evil", Mode: 0o644})
	cases := []struct {
		name    string
		members [][2]string
		err     string
	}{
		{name: "entry climbing out", members: [][2]string{{"debian-binary", "2.0\n"}, {"data.tar", string(escape)}},
			err: `"./../../etc/evil" climbs out of the root`},
		{name: "no data member", members: [][2]string{{"debian-binary", "2.0\n"}},
			err: "no data.tar member"},
		{name: "corrupt xz", members: [][2]string{{"data.tar.xz", "not xz at all"}},
			err: "data.tar.xz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			deb := writeDeb(t, tc.members...)
			err := DataEntries(deb, func(*tar.Header, io.Reader) error { return nil })
			assert.ErrorContains(t, err, tc.err)
			assert.ErrorContains(t, err, deb)
		})
	}

	notDeb := filepath.Join(t.TempDir(), "x.deb")
	assert.NilError(t, os.WriteFile(notDeb, []byte("PK\x03\x04 a zip"), 0o644))
	assert.ErrorContains(t, DataEntries(notDeb, nil), notDeb)
}

// fixtureDeb writes a .deb with a control file and the given data entries.
func fixtureDeb(t *testing.T, name string, entries ...tar.Header) Deb {
	t.Helper()
	control := "Package: " + name + "\nVersion: 1\nArchitecture: all\nDescription: test\n"
	var ctl bytes.Buffer
	tw := tar.NewWriter(&ctl)
	assert.NilError(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "./control", Mode: 0o644, Size: int64(len(control))}))
	_, err := tw.Write([]byte(control))
	assert.NilError(t, err)
	assert.NilError(t, tw.Close())
	path := writeDeb(t, [2]string{"debian-binary", "2.0\n"},
		[2]string{"control.tar.gz", string(compress(t, ".gz", ctl.Bytes()))},
		[2]string{"data.tar.xz", string(compress(t, ".xz", tarOf(t, entries...)))})
	return Deb{Package: Package{Name: name, Version: "1", Architecture: "all"}, Path: path}
}

func TestUnpackOrderAndErrors(t *testing.T) {
	var debs []Deb
	for i := range 5 {
		debs = append(debs, fixtureDeb(t, fmt.Sprintf("pkg%d", i),
			tar.Header{Typeflag: tar.TypeDir, Name: "./usr/", Mode: 0o755},
			tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("./usr/file%d", i), Mode: 0o644}))
	}
	var got []string
	err := Unpack(debs, func(hdr *tar.Header, r io.Reader) error {
		got = append(got, hdr.Name)
		return nil
	})
	assert.NilError(t, err)
	assert.DeepEqual(t, got[:6], []string{"usr", "usr/file0", "usr/file1", "usr/file2", "usr/file3", "usr/file4"})
	assert.Assert(t, is.Contains(got, "var/lib/dpkg/status"))

	stop := errors.New("enough")
	err = Unpack(debs, func(hdr *tar.Header, r io.Reader) error {
		if hdr.Name == "usr/file1" {
			return stop
		}
		return nil
	})
	assert.Assert(t, errors.Is(err, stop))
	assert.ErrorContains(t, err, "usr/file1")

	broken := append(slices.Clone(debs[:2]), Deb{Package: Package{Name: "broken"}, Path: debs[0].Path + ".missing"})
	err = Unpack(append(broken, debs[2:]...), func(*tar.Header, io.Reader) error { return nil })
	assert.ErrorContains(t, err, "package broken")
}
