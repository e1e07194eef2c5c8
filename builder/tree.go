package builder

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// tree is the content of one layer before it is written: entries by path.
// Writing it gives a deterministic tar: entries sorted by path, parent
// folders emitted, one mtime for everything, numeric owners only, and no
// access, change or PAX time records.
type tree struct {
	entries map[string]*node
}

// node is one entry. Content comes from data, or from a file on disk, or
// from a section of a spool file.
type node struct {
	hdr  tar.Header
	data []byte
	file string
	open func() (io.Reader, error)
}

func newTree() *tree { return &tree{entries: map[string]*node{}} }

// clean turns an image path into a tar name without a leading slash.
func clean(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	return p
}

// addDir adds a folder with mode perm.
func (t *tree) addDir(name string, perm int64, uid, gid int) {
	name = clean(name)
	if name == "" {
		return
	}
	t.entries[name] = &node{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name + "/",
		Mode: perm, Uid: uid, Gid: gid}}
}

// addBytes adds a regular file holding data.
func (t *tree) addBytes(name string, data []byte, perm int64, uid, gid int) {
	name = clean(name)
	t.entries[name] = &node{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name,
		Mode: perm, Uid: uid, Gid: gid, Size: int64(len(data))}, data: data}
}

// addFile adds a regular file whose content is read from src when written.
func (t *tree) addFile(name, src string, size, perm int64, uid, gid int) {
	name = clean(name)
	t.entries[name] = &node{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name,
		Mode: perm, Uid: uid, Gid: gid, Size: size}, file: src}
}

// addSymlink adds a symbolic link to target, kept as written.
func (t *tree) addSymlink(name, target string) {
	name = clean(name)
	t.entries[name] = &node{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name,
		Linkname: target, Mode: 0o777}}
}

// add adds an entry from another tar, keeping type, mode, owner, links and
// device numbers, and dropping names, times and PAX records.
func (t *tree) add(h *tar.Header, open func() (io.Reader, error)) {
	name := clean(h.Name)
	if name == "" {
		return
	}
	n := &node{hdr: tar.Header{Typeflag: h.Typeflag, Name: name, Mode: h.Mode & 0o7777,
		Uid: h.Uid, Gid: h.Gid, Linkname: h.Linkname, Devmajor: h.Devmajor,
		Devminor: h.Devminor}, open: open}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		n.hdr.Typeflag = tar.TypeReg
		n.hdr.Size = h.Size
	case tar.TypeDir:
		n.hdr.Name = name + "/"
		n.open = nil
	case tar.TypeLink:
		n.hdr.Linkname = clean(h.Linkname)
		n.open = nil
	default:
		n.open = nil
	}
	t.entries[name] = n
}

// write writes the tar to w with every mtime set to epoch.
func (t *tree) write(w io.Writer, epoch time.Time) error {
	t.addParents()
	names := make([]string, 0, len(t.entries))
	for name := range t.entries {
		names = append(names, name)
	}
	sort.Strings(names)

	tw := tar.NewWriter(w)
	for _, name := range names {
		n := t.entries[name]
		h := n.hdr
		h.ModTime = epoch
		h.Format = tar.FormatUnknown
		if err := tw.WriteHeader(&h); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if h.Typeflag != tar.TypeReg || h.Size == 0 {
			continue
		}
		if err := n.copyTo(tw, h.Size); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return tw.Close()
}

func (n *node) copyTo(w io.Writer, size int64) error {
	var r io.Reader
	switch {
	case n.data != nil:
		r = bytes.NewReader(n.data)
	case n.file != "":
		f, err := os.Open(n.file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	case n.open != nil:
		var err error
		if r, err = n.open(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("no content")
	}
	got, err := io.Copy(w, io.LimitReader(r, size))
	if err == nil && got != size {
		err = fmt.Errorf("content is %d bytes, header says %d", got, size)
	}
	return err
}

// addParents emits every missing parent folder as root-owned 0755.
func (t *tree) addParents() {
	for name := range t.entries {
		for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if _, ok := t.entries[dir]; ok {
				break
			}
			t.addDir(dir, 0o755, 0, 0)
		}
	}
}

// digest hashes the tree's headers and contents, in path order: two trees
// with the same digest write the same tar.
func (t *tree) digest() (string, error) {
	t.addParents()
	names := make([]string, 0, len(t.entries))
	for name := range t.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		n := t.entries[name]
		x := n.hdr
		fmt.Fprintf(h, "%q %c %o %d %d %q %d %d %d\n", x.Name, x.Typeflag, x.Mode, x.Uid,
			x.Gid, x.Linkname, x.Devmajor, x.Devminor, x.Size)
		if x.Typeflag == tar.TypeReg && x.Size > 0 {
			if err := n.copyTo(h, x.Size); err != nil {
				return "", fmt.Errorf("read %s: %w", name, err)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
