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

	"github.com/containerd/stargz-snapshotter/estargz"
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

	own      map[string]bool                   // paths this layer wrote: true for folders
	whited   map[string]bool                   // overlay form: paths this layer whited out
	reopaque []string                          // overlay form: folders made anew after a whiteout
	copiedUp map[[2]uint64]string              // lower inode -> its copy in this layer
	inodes   map[string]map[[2]uint64][]string // lower -> hardlinked names
	dirHdrs  map[string]*tar.Header            // folder entries containerd touches again
}

func newApplyGuard(root string, merged bool, lowers []string) *applyGuard {
	return &applyGuard{
		root: root, merged: merged, lowers: lowers,
		resolver: newApplyResolver(root, lowers),
		own:      map[string]bool{},
		whited:   map[string]bool{},
		copiedUp: map[[2]uint64]string{},
		dirHdrs:  map[string]*tar.Header{},
		inodes:   map[string]map[[2]uint64][]string{},
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
	if estargzMeta[rel] && hdr.Typeflag == tar.TypeReg {
		return false, nil // eStargz's own records, not the image's files
	}

	name, err := g.resolver.resolveName(rel)
	if err != nil {
		return false, fmt.Errorf("entry %q: %w", entry, err)
	}
	g.resolver.changed(name, hdr.Typeflag == tar.TypeSymlink)
	hdr.Name = name

	accept := true
	switch {
	case strings.HasPrefix(path.Base(name), applyWhiteoutPrefix):
		accept, err = g.whiteout(hdr, name)
	case hdr.Typeflag == tar.TypeLink:
		if err = g.wrote(name, false); err == nil {
			err = g.hardlink(hdr, target)
		}
		g.dirTimes(hdr, name)
	default:
		err = g.wrote(name, hdr.Typeflag == tar.TypeDir)
		g.dirTimes(hdr, name)
	}
	if err == nil && accept {
		err = g.mkParents(path.Dir(name))
	}
	if err != nil {
		return false, fmt.Errorf("entry %q: %w", entry, err)
	}
	return accept, nil
}

// hardlink resolves the hardlink target (clean, relative) through the
// merged view and, in overlay form, copies it up from a lower layer.
func (g *applyGuard) hardlink(hdr *tar.Header, target string) error {
	resolved, err := g.resolver.resolveName(target)
	if err != nil {
		return fmt.Errorf("hardlink target %q: %w", hdr.Linkname, err)
	}
	hdr.Linkname = resolved
	if g.merged {
		return nil
	}
	if err := g.copyUp(resolved); err != nil {
		return fmt.Errorf("hardlink to lower layer: %w", err)
	}
	return nil
}

// dirTimes keeps track of the folder entries whose times containerd sets
// again, by name, once the layer is applied. When a later entry of the
// layer replaces such a folder, its header is pointed at the root: else
// containerd would follow what replaced it (a symlink, to a folder of the
// root or to nothing) and set that one's times, or fail.
//
// TODO: the root folder then gets the replaced folder's times; nothing
// reads them (the root of a snapshot is never an entry of the image).
func (g *applyGuard) dirTimes(hdr *tar.Header, name string) {
	if hdr.Typeflag == tar.TypeDir {
		g.dirHdrs[name] = hdr
		return
	}
	for n, h := range g.dirHdrs {
		if n == name || strings.HasPrefix(n, name+"/") {
			h.Name = "."
			delete(g.dirHdrs, n)
		}
	}
}

// wrote records that this layer writes name, and the folders above it.
func (g *applyGuard) wrote(name string, dir bool) error {
	wasDir, wasOwn := g.own[name]
	g.own[name] = dir
	if dir && !wasDir && (wasOwn || g.whited[name]) {
		if err := g.makeAnew(name); err != nil {
			return err
		}
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if g.own[p] {
			break
		}
		g.own[p] = true
		if g.whited[p] {
			if err := g.makeAnew(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// makeAnew handles a folder that this layer writes (into) at p after it
// whited out or replaced what the lower layers hold there: its whiteout
// device goes (the folder is made in its place) and it becomes opaque at
// the end, so the lower folder's content stays hidden, as in a merged
// apply.
func (g *applyGuard) makeAnew(p string) error {
	g.reopaque = append(g.reopaque, p)
	g.resolver.hide(p)
	full := filepath.Join(g.root, p)
	if fi, err := os.Lstat(full); err == nil && snapIsWhiteout(fi) {
		return os.Remove(full)
	}
	return nil
}

// applyRel turns a tar name into a clean path relative to the root, or
// fails with ErrEscapesRoot if it climbs out. An absolute name is taken
// from the root, and like any absolute path it cannot climb above it:
// "/abs.txt" and "/../abs.txt" are both "abs.txt". A relative name that
// climbs ("../x", "a/../../x") fails. "." is the root itself.
//
// containerd cleans entry names before the filter sees them, so an error
// names the entry cleaned ("a/../../x" as "../x").
// estargzMeta are the entries eStargz adds at a layer's root: its table of
// contents and its prefetch landmarks. Applying a layer skips them there
// (and only there), so that they never show in a container's root.
var estargzMeta = map[string]bool{
	estargz.TOCTarName: true, estargz.PrefetchLandmark: true, estargz.NoPrefetchLandmark: true,
}

func applyRel(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		if rel := strings.TrimPrefix(path.Clean(name), "/"); rel != "" {
			return rel, nil
		}
		return ".", nil
	}
	rel := path.Clean(name)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", ErrEscapesRoot
	}
	return rel, nil
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
