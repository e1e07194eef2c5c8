package builder

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// The tar a tree writes depends only on its entries: sorted names, parent
// folders present, one mtime, numeric owners, no access/change times or
// PAX records, whatever order the entries were added in.
func TestTreeWritesDeterministicTar(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	src := filepath.Join(t.TempDir(), "f")
	assert.NilError(t, os.WriteFile(src, []byte("from disk"), 0o600))

	build := func(reverse bool) []byte {
		tr := newTree()
		adds := []func(){
			func() { tr.addBytes("/usr/bin/zz", []byte("z"), 0o755, 0, 0) },
			func() { tr.addFile("etc/app/conf", src, 9, 0o644, 1000, 1000) },
			func() { tr.addSymlink("/bin/sh", "gosh") },
			func() { tr.addDir("/tmp", 0o1777, 0, 0) },
		}
		if reverse {
			for i := len(adds) - 1; i >= 0; i-- {
				adds[i]()
			}
		} else {
			for _, a := range adds {
				a()
			}
		}
		var buf bytes.Buffer
		assert.NilError(t, tr.write(&buf, epoch))
		return buf.Bytes()
	}
	a, b := build(false), build(true)
	assert.Assert(t, bytes.Equal(a, b), "same entries in another order gave another tar")

	var names []string
	r := tar.NewReader(bytes.NewReader(a))
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		assert.NilError(t, err)
		names = append(names, h.Name)
		assert.Check(t, h.ModTime.Equal(epoch), h.Name)
		assert.Check(t, h.AccessTime.IsZero() && h.ChangeTime.IsZero(), h.Name)
		assert.Check(t, h.Uname == "" && h.Gname == "", h.Name)
		assert.Check(t, len(h.PAXRecords) == 0, "%s: PAX records %v", h.Name, h.PAXRecords)
		if h.Name == "etc/app/conf" {
			assert.Check(t, h.Uid == 1000 && h.Gid == 1000)
			data, _ := io.ReadAll(r)
			assert.Equal(t, string(data), "from disk")
		} else {
			assert.Check(t, h.Uid == 0 && h.Gid == 0, h.Name)
		}
	}
	assert.DeepEqual(t, names, []string{"bin/", "bin/sh", "etc/", "etc/app/", "etc/app/conf",
		"tmp/", "usr/", "usr/bin/", "usr/bin/zz"})
}

func TestTreeDigestFollowsContent(t *testing.T) {
	one := newTree()
	one.addBytes("a", []byte("x"), 0o644, 0, 0)
	two := newTree()
	two.addBytes("a", []byte("y"), 0o644, 0, 0)
	three := newTree()
	three.addBytes("a", []byte("x"), 0o755, 0, 0)
	d1, err := one.digest()
	assert.NilError(t, err)
	d2, _ := two.digest()
	d3, _ := three.digest()
	again := newTree()
	again.addBytes("/a", []byte("x"), 0o644, 0, 0)
	d4, _ := again.digest()
	assert.Check(t, d1 != d2, "content ignored")
	assert.Check(t, d1 != d3, "mode ignored")
	assert.Equal(t, d1, d4)
}
