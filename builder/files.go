package builder

import (
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
func (b *build) filesLayer(ctx context.Context, files []FileSource) (*layerRecord, error) {
	tr := newTree()
	for _, f := range files {
		src, _ := inContext(b.spec.Context, f.Src)
		if err := addPath(tr, src, f); err != nil {
			return nil, errdefs.Invalid(fmt.Errorf("files: %s: %w", f.Src, err))
		}
	}
	return b.treeLayer(ctx, tr)
}

func addPath(tr *tree, src string, f FileSource) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return addOne(tr, src, f.Dest, fi, f)
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
		return addOne(tr, p, path.Join(f.Dest, filepath.ToSlash(rel)), info, f)
	})
}

func addOne(tr *tree, src, dest string, fi fs.FileInfo, f FileSource) error {
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
