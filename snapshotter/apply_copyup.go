package snapshotter

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// copyUp makes the file at rel (a clean relative path) exist in this
// layer's folder if only a lower layer holds it, copying content, mode,
// owner, xattrs and mtime, as overlayfs does before it links to a lower
// file. New parent folders copy the lower folders' metadata. The other
// names of a hardlinked lower file that the merged view shows are linked
// up with it, so they stay one inode, as in a merged apply.
func (g *applyGuard) copyUp(rel string) error {
	if rel == "." {
		return fmt.Errorf("%q: %w", rel, fs.ErrInvalid)
	}
	dst := filepath.Join(g.root, rel)
	if fi, err := os.Lstat(dst); err == nil && !snapIsWhiteout(fi) {
		return nil // in this layer already
	}
	// The merged view as this layer leaves it so far: an opaque marker or
	// whiteout of its own hides the lower file.
	lower, fi, err := g.resolver.lookup(rel)
	if err != nil {
		return err
	}
	if fi == nil || lower == g.root {
		return fmt.Errorf("%q: not in any lower layer: %w", rel, fs.ErrNotExist)
	}
	if err := g.mkParents(path.Dir(rel)); err != nil {
		return err
	}

	src := filepath.Join(lower, rel)
	st := fi.Sys().(*syscall.Stat_t)
	key := [2]uint64{st.Dev, st.Ino}
	if first, ok := g.copiedUp[key]; ok {
		return os.Link(filepath.Join(g.root, first), dst)
	}
	if err := applyCopyEntry(src, dst); err != nil {
		return err
	}
	g.copiedUp[key] = rel
	if st.Nlink < 2 {
		return nil
	}
	return g.copySiblings(lower, key, rel)
}

// copySiblings links up, next to rel, the other names of the lower inode
// key that the merged view shows from lower.
func (g *applyGuard) copySiblings(lower string, key [2]uint64, rel string) error {
	index, err := g.inodeIndex(lower)
	if err != nil {
		return err
	}
	for _, name := range index[key] {
		if name == rel {
			continue
		}
		layer, fi, err := g.resolver.lookup(name)
		if err != nil {
			return err
		}
		if layer != lower || !os.SameFile(fi, applyStatOrNil(filepath.Join(lower, rel))) {
			continue // hidden, or in this layer already
		}
		if err := g.mkParents(path.Dir(name)); err != nil {
			return err
		}
		if err := os.Link(filepath.Join(g.root, rel), filepath.Join(g.root, name)); err != nil {
			return err
		}
	}
	return nil
}

// inodeIndex lists, once per lower folder, the names of its files that
// have more than one link, by inode.
func (g *applyGuard) inodeIndex(lower string) (map[[2]uint64][]string, error) {
	if index, ok := g.inodes[lower]; ok {
		return index, nil
	}
	index := map[[2]uint64][]string{}
	err := filepath.WalkDir(lower, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Nlink > 1 {
			rel, _ := filepath.Rel(lower, p)
			key := [2]uint64{st.Dev, st.Ino}
			index[key] = append(index[key], filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.inodes[lower] = index
	return index, nil
}

func applyStatOrNil(p string) fs.FileInfo {
	fi, _ := os.Lstat(p)
	return fi
}

// mkParents creates the folders of rel (relative, clean, resolved) that
// this layer's folder lacks (overlay form), each with the metadata of the
// folder the merged view shows there, or 0755 and root's if none, as a
// merged apply would have it. containerd then finds them in place: its own
// search of the lower folders ignores whiteouts and opaque folders, and
// fails where a lower layer holds a file on the way.
func (g *applyGuard) mkParents(rel string) error {
	if g.merged || rel == "." {
		return nil
	}
	p := ""
	for _, part := range strings.Split(rel, "/") {
		p = path.Join(p, part)
		full := filepath.Join(g.root, p)
		fi, err := os.Lstat(full)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%q: %w", p, unix.ENOTDIR)
			}
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		layer, lfi, err := g.resolver.lookup(p)
		if err != nil {
			return err
		}
		if err := os.Mkdir(full, 0o755); err != nil {
			return err
		}
		if lfi != nil && lfi.IsDir() && layer != g.root {
			if err := applyCopyMeta(filepath.Join(layer, p), full, lfi); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyCopyEntry copies one non-folder entry from src to dst (which does
// not exist), with its metadata.
func applyCopyEntry(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode().IsRegular():
		err = applyCopyFile(src, dst)
	case fi.Mode()&fs.ModeSymlink != 0:
		var target string
		if target, err = os.Readlink(src); err == nil {
			err = os.Symlink(target, dst)
		}
	case fi.IsDir():
		return fmt.Errorf("%q: hardlink to a folder", src)
	default: // device, fifo, socket
		err = unix.Mknod(dst, st.Mode, int(st.Rdev))
	}
	if err != nil {
		return err
	}
	return applyCopyMeta(src, dst, fi)
}

func applyCopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// applyCopyMeta gives dst the owner, mode, xattrs and times of src (fi).
func applyCopyMeta(src, dst string, fi fs.FileInfo) error {
	st := fi.Sys().(*syscall.Stat_t)
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := snapCopyXattrs(src, dst); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		// chown clears setuid/setgid, so the mode goes after it.
		if err := unix.Fchmodat(unix.AT_FDCWD, dst, st.Mode&0o7777, 0); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{unix.Timespec(st.Atim), unix.Timespec(st.Mtim)}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}
