package snapshotter

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Flatten writes the merged tree of the snapshot folders dirs (lowest
// first, in overlay form as Snapshots.Prepare returns them) to w as one tar
// stream, with the semantics of an overlayfs mount of them: a whiteout
// hides the name below it, an opaque folder hides the lower folders'
// content, a folder merges with folders below it until a layer holds a
// non-folder there. A single merged rootfs folder is also accepted.
//
// Entries come sorted by name, each folder before its content; files that
// share an inode become hardlinks to the first name written; ownership,
// mode, mtime, xattrs (as SCHILY.xattr PAX records), symlinks, devices and
// fifos are kept. No whiteout or opaque marker appears in the output.
func Flatten(ctx context.Context, dirs []string, w io.Writer) error {
	top := make([]string, 0, len(dirs))
	for i := len(dirs) - 1; i >= 0; i-- {
		top = append(top, dirs[i])
		if snapIsOpaque(dirs[i]) {
			break
		}
	}
	fw := &flatWriter{ctx: ctx, tw: tar.NewWriter(w), links: map[flatInode]string{}}
	if err := fw.dir(".", top); err != nil {
		return fmt.Errorf("flatten: %w", err)
	}
	if err := fw.tw.Close(); err != nil {
		return fmt.Errorf("flatten: %w", err)
	}
	return nil
}

// FlattenLayers writes the merged tree of layers (lowest first) to w as
// one tar stream, by applying them in merged form to a temporary folder
// under os.TempDir and flattening that. Like Apply, it needs root to keep
// ownership and device nodes.
//
// TODO: the temporary folder holds the whole merged tree; on a host whose
// os.TempDir is small (a tmpfs /tmp) a big image fails with "no space
// left on device". Flatten over Snapshots.Prepare's folders needs no copy.
func FlattenLayers(ctx context.Context, layers []v1.Layer, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "crossdock-flatten-")
	if err != nil {
		return fmt.Errorf("flatten: %w", err)
	}
	defer os.RemoveAll(tmp)

	for i, l := range layers {
		if err := flatApplyMerged(ctx, tmp, l); err != nil {
			return fmt.Errorf("flatten: layer %d: %w", i, err)
		}
	}
	return Flatten(ctx, []string{tmp}, w)
}

func flatApplyMerged(ctx context.Context, root string, l v1.Layer) error {
	digest, err := l.Digest()
	if err != nil {
		return err
	}
	diffID, err := l.DiffID()
	if err != nil {
		return fmt.Errorf("layer %s: diffID: %w", digest, err)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("layer %s: %w", digest, err)
	}
	defer rc.Close()
	return Apply(ctx, root, rc, WithMerged(), WithDiffID(diffID), WithLayerDigest(digest))
}

type flatInode struct{ dev, ino uint64 }

type flatWriter struct {
	ctx   context.Context
	tw    *tar.Writer
	links map[flatInode]string // first name written for a hardlinked inode
	buf   []byte
}

// flatEntry is one name in a merged folder, as the topmost layer holding
// it shows it.
type flatEntry struct {
	path   string      // in the topmost layer
	fi     fs.FileInfo // of path
	layers []string    // for a folder: the layers merged into it, top first
	cut    bool        // for a folder: lower layers no longer merge in
}

// dir writes the content of the folder rel, merged from layers (top first;
// each holds rel as a folder), then recurses into its folders.
func (fw *flatWriter) dir(rel string, layers []string) error {
	entries := map[string]*flatEntry{}
	for _, layer := range layers {
		names, err := flatReadNames(filepath.Join(layer, rel))
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := fw.ctx.Err(); err != nil {
				return err
			}
			if err := flatMerge(entries, layer, filepath.Join(layer, rel, name), name); err != nil {
				return err
			}
		}
	}

	names := make([]string, 0, len(entries))
	for name, e := range entries {
		if !snapIsWhiteout(e.fi) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		e, p := entries[name], path.Join(rel, name)
		if err := fw.write(p, e); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if e.fi.IsDir() {
			if err := fw.dir(p, e.layers); err != nil {
				return err
			}
		}
	}
	return nil
}

// flatMerge records what the layer at full (named name) adds to entries,
// given that the layers above it have been recorded already.
func flatMerge(entries map[string]*flatEntry, layer, full, name string) error {
	e, ok := entries[name]
	if ok && (!e.fi.IsDir() || e.cut) {
		return nil // hidden by the layer above
	}
	fi, err := os.Lstat(full)
	if err != nil {
		return err
	}
	if !ok {
		e = &flatEntry{path: full, fi: fi}
		entries[name] = e
	} else if !fi.IsDir() {
		e.cut = true // a non-folder below ends the merge, as in overlayfs
		return nil
	}
	if fi.IsDir() {
		e.layers = append(e.layers, layer)
		e.cut = snapIsOpaque(full)
	}
	return nil
}

func flatReadNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// write writes the header (and content) of one entry named p.
func (fw *flatWriter) write(p string, e *flatEntry) error {
	hdr, err := flatHeader(p, e)
	if err != nil {
		return err
	}
	st := e.fi.Sys().(*syscall.Stat_t)
	if hdr.Typeflag == tar.TypeReg && st.Nlink > 1 {
		key := flatInode{dev: st.Dev, ino: st.Ino}
		if first, ok := fw.links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return fw.tw.WriteHeader(hdr)
		}
		fw.links[key] = hdr.Name
	}
	if err := fw.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	return fw.copy(e.path)
}

func (fw *flatWriter) copy(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if fw.buf == nil {
		fw.buf = make([]byte, 1<<20)
	}
	_, err = io.CopyBuffer(fw.tw, f, fw.buf)
	return err
}

// flatHeader builds a reproducible header: no user or group names looked
// up on this host, no access or change times.
func flatHeader(p string, e *flatEntry) (*tar.Header, error) {
	var link string
	if e.fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(e.path); err != nil {
			return nil, err
		}
	}
	hdr, err := tar.FileInfoHeader(e.fi, link)
	if err != nil {
		return nil, err
	}
	st := e.fi.Sys().(*syscall.Stat_t)
	hdr.Name = p
	if e.fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX

	attrs, err := snapXattrs(e.path)
	if err != nil {
		return nil, err
	}
	for k, v := range attrs {
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = string(v)
	}
	return hdr, nil
}
