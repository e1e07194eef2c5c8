package snapshotter

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// OCI whiteout names: ".wh.NAME" deletes NAME of the lower layers,
// ".wh..wh..opq" in a folder hides the lower layers' content of it.
const (
	applyWhiteoutPrefix = ".wh."
	applyMetaPrefix     = ".wh..wh."
	applyOpaqueMarker   = ".wh..wh..opq"
)

// whiteout handles the whiteout entry name (resolved) and says whether
// containerd should still act on it (it does the overlay-form conversion).
//
// A whiteout acts on the lower layers only, wherever it stands in the tar:
// what this layer wrote before it stays. containerd's own handling deletes
// it (merged form) or fails (overlay form), so here:
//   - .wh.X where this layer wrote X: a file X stays and hides the lower
//     one anyway; a folder X stays and becomes opaque.
//   - .wh.X otherwise: merged form deletes X; overlay form drops what a
//     copy-up put at X and, if a lower layer shows X, lets containerd
//     make the 0/0 device; a folder
//     X written later in this layer becomes opaque (finish), so it does
//     not merge with the lower X.
//   - an opaque marker: both forms delete what this layer did not write
//     under the folder (in overlay form, copies up); containerd misses
//     folders it made implicitly. Overlay form then lets containerd set
//     the xattr: order does not matter.
func (g *applyGuard) whiteout(hdr *tar.Header, name string) (bool, error) {
	dir, base := path.Split(name)
	dir = path.Clean(dir)
	switch {
	case base == applyOpaqueMarker:
		return g.opaque(dir)
	case strings.HasPrefix(base, applyMetaPrefix):
		return false, nil // other AUFS metadata: nothing to apply
	case base == applyWhiteoutPrefix:
		return false, fmt.Errorf("whiteout names nothing: %w", fs.ErrInvalid)
	}

	victim := path.Join(dir, strings.TrimPrefix(base, applyWhiteoutPrefix))
	full := filepath.Join(g.root, victim)
	if isDir, own := g.own[victim]; own {
		if !isDir {
			return false, nil
		}
		g.resolver.hideBelow(victim)
		if err := g.dropNotOwn(victim); err != nil || g.merged {
			return false, err
		}
		return false, unix.Lsetxattr(full, snapOpaqueXattr, []byte("y"), 0)
	}
	switch {
	case g.merged:
		return false, applyRemove(full)
	case g.whited[victim]:
		return false, nil // its 0/0 device is there already
	}
	if err := applyRemove(full); err != nil { // a copy-up, if anything
		return false, err
	}

	// A whiteout of what nothing below shows is left out: overlayfs lists
	// the 0/0 devices of a folder that no lower layer merges into.
	_, fi, err := g.resolver.lookup(victim)
	g.resolver.hide(victim)
	if err != nil || fi == nil {
		return false, err
	}
	g.whited[victim] = true
	return true, nil
}

// applyRemove removes p and what is below it, if p is there: a parent
// that is a file or a whiteout device means it is not.
func applyRemove(p string) error {
	if _, err := os.Lstat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
			return nil
		}
		return err
	}
	return os.RemoveAll(p)
}

// opaque handles an opaque marker in dir.
func (g *applyGuard) opaque(dir string) (bool, error) {
	g.resolver.hideBelow(dir)
	if dir != "." {
		if err := g.wrote(dir, true); err != nil {
			return false, err
		}
	}
	if err := g.dropNotOwn(dir); err != nil {
		return false, err
	}
	switch {
	case g.merged:
		// The marker stands in its folder, so the folder exists.
		return false, os.MkdirAll(filepath.Join(g.root, dir), 0o755)
	case dir == ".":
		return false, g.rootOpaque()
	}
	return true, nil
}

// dropNotOwn removes from the folder dir everything this layer did not
// write: in merged form the lower layers' files, in overlay form copies
// up and whiteouts.
func (g *applyGuard) dropNotOwn(dir string) error {
	full := filepath.Join(g.root, dir)
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || !fi.IsDir() {
		return err
	}
	names, err := flatReadNames(full)
	if err != nil {
		return err
	}
	for _, n := range names {
		rel := path.Join(dir, n)
		isDir, own := g.own[rel]
		switch {
		case !own:
			err = os.RemoveAll(filepath.Join(full, n))
		case isDir:
			err = g.dropNotOwn(rel)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rootOpaque hides everything the lower layers hold (overlay form), for
// an opaque marker at the top of the tree: overlayfs ignores the opaque
// xattr on a layer's root, so every name in a lower root gets a whiteout
// instead, unless this layer wrote it (a folder of its own becomes
// opaque). dropNotOwn has emptied the root of all else.
func (g *applyGuard) rootOpaque() error {
	for _, lower := range g.lowers {
		names, err := flatReadNames(lower)
		if err != nil {
			return err
		}
		for _, n := range names {
			full := filepath.Join(g.root, n)
			isDir, own := g.own[n]
			switch {
			case own && isDir:
				err = unix.Lsetxattr(full, snapOpaqueXattr, []byte("y"), 0)
			case own:
				continue
			default:
				if _, err := os.Lstat(full); err == nil {
					continue // whited out for a lower layer already
				}
				g.whited[n] = true
				err = unix.Mknod(full, unix.S_IFCHR, 0)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// finish marks opaque the folders that this layer whited out and then
// wrote anew (overlay form).
func (g *applyGuard) finish() error {
	for _, dir := range g.reopaque {
		full := filepath.Join(g.root, dir)
		fi, err := os.Lstat(full)
		if err != nil || !fi.IsDir() {
			continue // replaced again later in the layer
		}
		if err := unix.Lsetxattr(full, snapOpaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("mark %s opaque: %w", dir, err)
		}
	}
	return nil
}
