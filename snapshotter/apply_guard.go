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
	"syscall"

	"golang.org/x/sys/unix"
)

// applyGuard sees every tar header before containerd's archive.Apply acts
// on it. It fails names and hardlink targets that climb out of the root;
// resolves every parent folder through the merged view (applyResolver) and
// rewrites the name to the result, so containerd writes no deeper than
// that; handles whiteouts so that they act on lower layers only (see
// apply_whiteout.go); and in overlay form copies a lower layer's file up
// before a hardlink to it.
type applyGuard struct {
	root     string
	merged   bool
	lowers   []string // lowest first
	resolver *applyResolver

	own      map[string]bool      // paths this layer wrote: true for folders
	whited   map[string]bool      // overlay form: paths this layer whited out
	reopaque []string             // overlay form: folders made anew after a whiteout
	copiedUp map[[2]uint64]string // lower inode -> its copy in this layer
}

func newApplyGuard(root string, merged bool, lowers []string) *applyGuard {
	return &applyGuard{
		root: root, merged: merged, lowers: lowers,
		resolver: newApplyResolver(root, lowers),
		own:      map[string]bool{},
		whited:   map[string]bool{},
		copiedUp: map[[2]uint64]string{},
	}
}

func (g *applyGuard) filter(hdr *tar.Header) (bool, error) {
	entry := hdr.Name
	rel, err := applyRel(hdr.Name)
	if err != nil {
		return false, fmt.Errorf("entry %q: %w", entry, err)
	}
	var target string
	if hdr.Typeflag == tar.TypeLink {
		if target, err = applyRel(hdr.Linkname); err != nil {
			return false, fmt.Errorf("entry %q: hardlink target %q: %w", entry, hdr.Linkname, err)
		}
	}
	if rel == "." {
		return true, nil // containerd skips the root itself
	}

	name, err := g.resolver.resolveName(rel)
	if err != nil {
		return false, fmt.Errorf("entry %q: %w", entry, err)
	}
	g.resolver.changed(name, hdr.Typeflag == tar.TypeSymlink)
	hdr.Name = name
	if strings.HasPrefix(path.Base(name), applyWhiteoutPrefix) {
		ok, err := g.whiteout(hdr, name)
		if err != nil {
			return false, fmt.Errorf("entry %q: %w", entry, err)
		}
		return ok, nil
	}
	g.wrote(name, hdr.Typeflag == tar.TypeDir)
	if hdr.Typeflag != tar.TypeLink {
		return true, nil
	}

	if target, err = g.resolver.resolveName(target); err != nil {
		return false, fmt.Errorf("entry %q: hardlink target %q: %w", entry, hdr.Linkname, err)
	}
	hdr.Linkname = target
	if !g.merged {
		if err := g.copyUp(target); err != nil {
			return false, fmt.Errorf("entry %q: hardlink to lower layer: %w", entry, err)
		}
	}
	return true, nil
}

// wrote records that this layer writes name, and the folders above it.
func (g *applyGuard) wrote(name string, dir bool) {
	g.own[name] = dir
	if dir && g.whited[name] {
		g.reopaque = append(g.reopaque, name)
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		g.own[p] = true
	}
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

	// Names of one lower inode copied up by this layer stay one inode.
	src := filepath.Join(lower, rel)
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	key := [2]uint64{st.Dev, st.Ino}
	if first, ok := g.copiedUp[key]; ok {
		return os.Link(filepath.Join(g.root, first), dst)
	}
	if err := applyCopyEntry(src, dst); err != nil {
		return err
	}
	g.copiedUp[key] = rel
	return nil
}

// applyLookupLower finds the lower folder whose file at rel the merged view
// shows (see applyLookup).
func applyLookupLower(lowers []string, rel string) (string, error) {
	dir, _, err := applyLookup(reversed(lowers), rel)
	if err == nil && dir == "" {
		err = fmt.Errorf("%q: not in any lower layer: %w", rel, fs.ErrNotExist)
	}
	return dir, err
}

// applyLookup finds rel (clean, relative, its parents already resolved) in
// the merged view of layers (top first), without following symlinks: a
// whiteout or a non-folder parent hides it and what is below, an opaque
// parent hides the layers below. It returns the layer that shows it and
// its info, or "" if it is not there.
func applyLookup(layers []string, rel string) (string, fs.FileInfo, error) {
	parts := strings.Split(rel, "/")
	for _, layer := range layers {
		fi, stop, err := applyLookupIn(layer, parts)
		if err != nil || fi != nil {
			return layer, fi, err
		}
		if stop {
			break
		}
	}
	return "", nil, nil
}

// applyLookupIn looks for parts in one layer folder. stop says the layers
// below must not be searched (the path is whited out or hidden here).
func applyLookupIn(dir string, parts []string) (found fs.FileInfo, stop bool, err error) {
	p := dir
	for i, part := range parts {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, stop, nil
		}
		if err != nil {
			return nil, true, err
		}
		if snapIsWhiteout(fi) {
			return nil, true, nil
		}
		if i == len(parts)-1 {
			return fi, false, nil
		}
		if !fi.IsDir() {
			// A symlink or file here hides the layers below; a symlink
			// parent was already followed by the caller's resolution.
			return nil, true, nil
		}
		if snapIsOpaque(p) {
			stop = true
		}
	}
	return nil, stop, nil
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
