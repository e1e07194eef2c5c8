package snapshotter

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
	"gotest.tools/v3/assert"
)

// Layer fixtures, built in code. Helper names start with "at" (apply
// test) so they do not clash with the store's tests in this package.

// atEpoch is the mtime of every fixture entry unless one is set.
var atEpoch = time.Unix(1600000000, 0)

// atEnt is one tar entry of a fixture layer.
type atEnt struct {
	hdr  tar.Header
	body string
}

func atFile(name, body string) atEnt {
	return atEnt{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, body: body}
}

func atDir(name string) atEnt {
	return atEnt{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}}
}

func atSym(name, target string) atEnt {
	return atEnt{hdr: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}}
}

func atLink(name, target string) atEnt {
	return atEnt{hdr: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644}}
}

// atWhiteout is the OCI whiteout entry that deletes name from lower layers.
func atWhiteout(name string) atEnt {
	dir, base := filepath.Split(name)
	return atFile(dir+".wh."+base, "")
}

// atOpaque is the OCI marker that hides the lower content of folder dir.
func atOpaque(dir string) atEnt {
	return atFile(strings.TrimSuffix(dir, "/")+"/.wh..wh..opq", "")
}

// atTar writes the entries as one uncompressed tar stream.
func atTar(t testing.TB, ents ...atEnt) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		hdr := e.hdr
		if hdr.ModTime.IsZero() {
			hdr.ModTime = atEpoch
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if len(hdr.PAXRecords) > 0 {
			hdr.Format = tar.FormatPAX
		}
		assert.NilError(t, tw.WriteHeader(&hdr))
		_, err := io.WriteString(tw, e.body)
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	return buf.Bytes()
}

// atLayer makes a gzip layer of the entries.
func atLayer(t testing.TB, ents ...atEnt) v1.Layer {
	t.Helper()
	b := atTar(t, ents...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	assert.NilError(t, err)
	return l
}

// atApplyMerged applies the layers in merged form to a new folder.
func atApplyMerged(t testing.TB, layers ...v1.Layer) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	assert.NilError(t, os.Mkdir(root, 0o755))
	for _, l := range layers {
		assert.NilError(t, flatApplyMerged(context.Background(), root, l))
	}
	return root
}

// atFlatten flattens the folders and returns the tree of the tar stream.
func atFlatten(t testing.TB, dirs ...string) map[string]string {
	t.Helper()
	var buf bytes.Buffer
	assert.NilError(t, Flatten(context.Background(), dirs, &buf))
	return atTarTree(t, &buf)
}

// A tree describes each path (no leading "./", folders without a trailing
// "/") in a short form that leaves out the usual: "dir", "file BODY",
// "symlink TARGET", "char MAJ:MIN", "fifo", then " mode=NNNN" unless 0755
// for folders / 0644 otherwise, " owner=U:G" unless 0:0, " xattr:K=V",
// " mtime=UNIX" for files unless atEpoch, " link=FIRST" for the second and
// later names of a hardlinked file.

// atTree describes the folder root.
func atTree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	first := map[[2]uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		h := &tar.Header{Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
			ModTime: fi.ModTime(), Devmajor: int64(unix.Major(st.Rdev)), Devminor: int64(unix.Minor(st.Rdev))}
		var body string
		switch {
		case fi.IsDir():
			h.Typeflag = tar.TypeDir
		case fi.Mode()&fs.ModeSymlink != 0:
			h.Typeflag = tar.TypeSymlink
			h.Linkname, err = os.Readlink(p)
		case fi.Mode()&fs.ModeCharDevice != 0:
			h.Typeflag = tar.TypeChar
		case fi.Mode()&fs.ModeNamedPipe != 0:
			h.Typeflag = tar.TypeFifo
		case fi.Mode().IsRegular():
			h.Typeflag = tar.TypeReg
			var b []byte
			b, err = os.ReadFile(p)
			body = string(b)
			key := [2]uint64{st.Dev, st.Ino}
			if f, ok := first[key]; ok && st.Nlink > 1 {
				h.Linkname = f
			} else {
				first[key] = rel
			}
		default:
			return fmt.Errorf("%s: unexpected mode %v", p, fi.Mode())
		}
		if err != nil {
			return err
		}
		attrs, err := snapXattrs(p)
		for k, v := range attrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = string(v)
		}
		out[rel] = atDescribe(h, body)
		return err
	})
	assert.NilError(t, err)
	return out
}

// atTarTree describes the entries of a tar stream.
func atTarTree(t testing.TB, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	bodies := map[string]*tar.Header{}
	contents := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		assert.NilError(t, err)
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		b, err := io.ReadAll(tr)
		assert.NilError(t, err)
		if h.Typeflag == tar.TypeLink {
			target, ok := bodies[h.Linkname]
			assert.Assert(t, ok, "hardlink %s to %s, which comes later or not at all", name, h.Linkname)
			linked := *target
			linked.Linkname = h.Linkname
			out[name] = atDescribe(&linked, contents[h.Linkname])
			continue
		}
		bodies[name], contents[name] = h, string(b)
		out[name] = atDescribe(h, string(b))
	}
}

func atDescribe(h *tar.Header, body string) string {
	var s string
	mode := int64(0o644)
	switch h.Typeflag {
	case tar.TypeDir:
		s, mode = "dir", 0o755
	case tar.TypeReg:
		s = "file " + body
	case tar.TypeSymlink:
		s, mode = "symlink "+h.Linkname, -1
	case tar.TypeChar:
		s = fmt.Sprintf("char %d:%d", h.Devmajor, h.Devminor)
	case tar.TypeFifo:
		s = "fifo"
	default:
		s = fmt.Sprintf("type %c", h.Typeflag)
	}
	if m := h.Mode & 0o7777; mode >= 0 && m != mode {
		s += fmt.Sprintf(" mode=%04o", m)
	}
	if h.Uid != 0 || h.Gid != 0 {
		s += fmt.Sprintf(" owner=%d:%d", h.Uid, h.Gid)
	}
	var attrs []string
	for k, v := range h.PAXRecords {
		if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
			attrs = append(attrs, " xattr:"+name+"="+v)
		}
	}
	sort.Strings(attrs)
	s += strings.Join(attrs, "")
	if h.Typeflag == tar.TypeReg && !h.ModTime.Equal(atEpoch) {
		s += fmt.Sprintf(" mtime=%d", h.ModTime.Unix())
	}
	if h.Typeflag == tar.TypeReg && h.Linkname != "" {
		s += " link=" + h.Linkname
	}
	return s
}
