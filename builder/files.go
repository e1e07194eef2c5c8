package builder

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// filesLayer copies files and folders from the build context. Folders are
// copied recursively; symlinks are kept as links; owners are the declared
// uid/gid (0 by default), never the host's.
//
// Two entries of one layer that put something other than a folder on the
// same path are refused, naming both lines: the spec would otherwise
// silently drop the first.
func (b *build) filesLayer(ctx context.Context, i int, files []FileSource) (*layerRecord, error) {
	tr := newTree()
	owner := map[string]*FileSource{} // image path -> the entry that put it there
	for i := range files {
		f := &files[i]
		src, err := inContext(b.spec.Context, f.Src, false)
		if err == nil {
			err = addPath(tr, src, f, owner)
		}
		if err != nil {
			return nil, errdefs.Invalid(fmt.Errorf("%s: files: %s: %w", b.at(f.Line), f.Src, err))
		}
	}
	for name, f := range owner {
		if n := tr.entries[name]; n != nil && n.hdr.Typeflag != tar.TypeDir {
			b.claim(name, i, f.Line)
		}
	}
	return b.treeLayer(ctx, tr)
}

// claim records that layer i (its entry at line) puts a file at name, and
// reports a warning when an earlier layer of the spec put one there too: the
// upper layer wins in the image, which is allowed but seldom meant.
func (b *build) claim(name string, i, line int) {
	b.claimMu.Lock()
	defer b.claimMu.Unlock()
	if b.claims == nil {
		b.claims = map[string][2]int{}
	}
	prev, ok := b.claims[name]
	if !ok || prev[0] > i {
		b.claims[name] = [2]int{i, line}
	}
	if !ok || prev[0] == i {
		return
	}
	lo, hi := prev, [2]int{i, line}
	if prev[0] > i {
		lo, hi = hi, lo
	}
	key := fmt.Sprint(name, lo, hi)
	if b.warned[key] {
		return
	}
	if b.warned == nil {
		b.warned = map[string]bool{}
	}
	b.warned[key] = true
	b.opts.report(Event{Layer: hi[0] + 1, Kind: b.spec.Layers[hi[0]].Kind(), Step: "warning",
		Detail: fmt.Sprintf("%s: /%s replaces the one layer %d puts there (%s)",
			b.at(hi[1]), name, lo[0]+1, b.at(lo[1]))})
}

// at is "SPEC:LINE", for errors.
func (b *build) at(line int) string { return fmt.Sprintf("%s:%d", b.spec.Path, line) }

func addPath(tr *tree, src string, f *FileSource, owner map[string]*FileSource) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	add := func(p, dest string, fi fs.FileInfo) error {
		name := clean(dest)
		if name == "" {
			return nil // a folder copied onto /: its content goes in, / itself is implied
		}
		if prev, ok := owner[name]; ok && prev != f {
			if n := tr.entries[name]; !fi.IsDir() || n.hdr.Typeflag != tar.TypeDir {
				return fmt.Errorf("%s: also put there by the entry at line %d (src %s): "+
					"one entry per path", dest, prev.Line, prev.Src)
			}
		}
		owner[name] = f
		return addOne(tr, p, dest, fi, f)
	}
	if !fi.IsDir() {
		return add(src, f.Dest, fi)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		return add(p, path.Join(f.Dest, filepath.ToSlash(rel)), info)
	})
}

func addOne(tr *tree, src, dest string, fi fs.FileInfo, f *FileSource) error {
	// Permissions are normalized (git and the umask decide them on a
	// checkout): 0755 for folders and executables, 0644 otherwise.
	perm := int64(0o644)
	if fi.IsDir() || fi.Mode()&0o111 != 0 {
		perm = 0o755
	}
	if f.Mode != nil && !fi.IsDir() {
		perm = int64(*f.Mode)
	}
	switch {
	case fi.IsDir():
		tr.addDir(dest, perm, f.UID, f.GID)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		tr.addSymlink(dest, target)
	case fi.Mode().IsRegular():
		tr.addFile(dest, src, fi.Size(), perm, f.UID, f.GID)
	default:
		return fmt.Errorf("%s: not a regular file, folder or symlink", src)
	}
	return nil
}
