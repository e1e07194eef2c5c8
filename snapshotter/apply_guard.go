package snapshotter

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// applyGuard sees every tar header before containerd's archive.Apply acts
// on it: it fails names and hardlink targets that climb out of the root,
// and copies a lower layer's file up before a hardlink to it.
type applyGuard struct {
	root   string
	layer  string
	lowers []string // lowest first
}

func (g *applyGuard) filter(hdr *tar.Header) (bool, error) {
	if _, err := applyRel(hdr.Name); err != nil {
		return false, fmt.Errorf("entry %q: %w", hdr.Name, err)
	}
	if hdr.Typeflag != tar.TypeLink {
		return true, nil
	}

	target, err := applyRel(hdr.Linkname)
	if err != nil {
		return false, fmt.Errorf("entry %q: hardlink target %q: %w", hdr.Name, hdr.Linkname, err)
	}
	if len(g.lowers) > 0 {
		if err := g.copyUp(target); err != nil {
			return false, fmt.Errorf("entry %q: hardlink to lower layer: %w", hdr.Name, err)
		}
	}
	return true, nil
}

// applyRel turns a tar name into a clean path relative to the root, or
// fails with ErrEscapesRoot if it climbs out. A leading "/" is dropped, so
// "/abs.txt" is "abs.txt"; "." is the root itself.
func applyRel(name string) (string, error) {
	rel := path.Clean(strings.TrimLeft(name, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", ErrEscapesRoot
	}
	return rel, nil
}

// copyUp makes the file at rel (a clean relative path) exist in this
// layer's folder if only a lower layer holds it, copying content, mode,
// owner, xattrs and mtime, as overlayfs does before it links to a lower
// file. New parent folders copy the lower folders' metadata.
func (g *applyGuard) copyUp(rel string) error {
	if rel == "." {
		return fmt.Errorf("%q: %w", rel, fs.ErrInvalid)
	}
	dst := filepath.Join(g.root, rel)
	if _, err := os.Lstat(dst); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err // in this layer already (or unreadable)
	}
	lower, err := applyLookupLower(g.lowers, rel)
	if err != nil {
		return err
	}
	if err := applyMkParents(g.root, lower, path.Dir(rel)); err != nil {
		return err
	}
	return applyCopyEntry(filepath.Join(lower, rel), dst)
}

// applyLookupLower finds the lower folder whose file at rel the merged view
// shows, walking from the top layer down without following symlinks: a
// whiteout or a non-folder parent hides it, an opaque parent stops the
// search below.
func applyLookupLower(lowers []string, rel string) (string, error) {
	parts := strings.Split(rel, "/")
	for i := len(lowers) - 1; i >= 0; i-- {
		found, stop, err := applyLookupIn(lowers[i], parts)
		if err != nil || found {
			return lowers[i], err
		}
		if stop {
			break
		}
	}
	return "", fmt.Errorf("%q: not in any lower layer: %w", rel, fs.ErrNotExist)
}

// applyLookupIn looks for parts in one layer folder. stop says the layers
// below must not be searched (the path is whited out or hidden here).
func applyLookupIn(dir string, parts []string) (found, stop bool, err error) {
	p := dir
	for i, part := range parts {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return false, false, nil
		}
		if err != nil {
			return false, true, err
		}
		if snapIsWhiteout(fi) {
			return false, true, nil
		}
		if i == len(parts)-1 {
			return true, false, nil
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			// TODO: a hardlink whose target's parent is a symlink in a
			// lower layer is not followed; such a layer fails to apply.
			return false, true, fmt.Errorf("%q: parent is a symlink", p)
		}
		if !fi.IsDir() {
			return false, true, nil
		}
		if snapIsOpaque(p) {
			stop = true
		}
	}
	return false, stop, nil
}

// applyMkParents creates the folders of rel (relative, clean) in root that
// are missing, each with the mode, owner and mtime of the one in lower.
func applyMkParents(root, lower, rel string) error {
	if rel == "." {
		return nil
	}
	p, l := root, lower
	for _, part := range strings.Split(rel, "/") {
		p, l = filepath.Join(p, part), filepath.Join(l, part)
		fi, err := os.Lstat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%q: not a folder in this layer", p)
			}
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		lfi, err := os.Lstat(l)
		if err != nil {
			return err
		}
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
		if err := applyCopyMeta(l, p, lfi); err != nil {
			return err
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
	st := fi.Sys().(*unix.Stat_t)
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
	st := fi.Sys().(*unix.Stat_t)
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
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}
