package snapshotter

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Overlay form on disk: how one snapshot folder records what its layer
// removes from the layers below it.
const (
	// snapOpaqueXattr on a folder hides the lower layers' content of it.
	snapOpaqueXattr = "trusted.overlay.opaque"
	// snapOverlayPrefix marks xattrs that belong to overlayfs, not to files.
	snapOverlayPrefix = "trusted.overlay."
)

// snapIsWhiteout reports whether fi is an overlayfs whiteout: a character
// device 0/0.
func snapIsWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 || fi.Mode()&fs.ModeDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

// snapIsOpaque reports whether the folder at p carries the opaque xattr.
func snapIsOpaque(p string) bool {
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(p, snapOpaqueXattr, buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// snapXattrs returns the xattrs of p, leaving out overlayfs' own. It
// returns nil where the filesystem has none or does not support them.
func snapXattrs(p string) (map[string][]byte, error) {
	size, err := unix.Llistxattr(p, nil)
	if err != nil || size == 0 {
		if errors.Is(err, unix.ENOTSUP) {
			err = nil
		}
		return nil, err
	}
	names := make([]byte, size)
	size, err = unix.Llistxattr(p, names)
	if err != nil {
		return nil, err
	}

	var out map[string][]byte
	for _, name := range bytes.Split(names[:size], []byte{0}) {
		key := string(name)
		if key == "" || strings.HasPrefix(key, snapOverlayPrefix) {
			continue
		}
		val, err := snapGetxattr(p, key)
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string][]byte{}
		}
		out[key] = val
	}
	return out, nil
}

func snapGetxattr(p, key string) ([]byte, error) {
	size, err := unix.Lgetxattr(p, key, nil)
	if err != nil {
		return nil, err
	}
	val := make([]byte, size)
	size, err = unix.Lgetxattr(p, key, val)
	if err != nil {
		return nil, err
	}
	return val[:size], nil
}

// snapCopyXattrs copies the xattrs of src to dst, except overlayfs' own.
func snapCopyXattrs(src, dst string) error {
	attrs, err := snapXattrs(src)
	if err != nil {
		return err
	}
	for k, v := range attrs {
		if err := unix.Lsetxattr(dst, k, v, 0); err != nil {
			return err
		}
	}
	return nil
}
