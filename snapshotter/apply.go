package snapshotter

// Layer apply is built on containerd's archive package
// (github.com/containerd/containerd/v2/pkg/archive, v2.4.2), wrapped here.
//
// Evaluation against the field cases (the tests in apply_*_test.go and
// snapshots_overlay_test.go), done before and while wrapping it:
//   - L1 passes in both forms: merged, and overlay form with
//     WithConvertWhiteout(OverlayConvertWhiteout) (a whiteout becomes a 0/0
//     character device, the opaque marker trusted.overlay.opaque=y).
//   - On L2 nothing escapes: parents are resolved inside the root with
//     continuity's fs.RootPath, so `link/pwned` lands at ROOT/etc/pwned and
//     `rel/pwned2` at ROOT/tmp/pwned2. But it does not fail where L2 asks:
//     `../../escape.txt` is silently clamped to ROOT/escape.txt, and the
//     hardlink `../../outside` fails only by chance, with an error that
//     names neither the entry nor the layer.
//   - Overlay form applies to a plain folder that holds one layer, so
//     containerd cannot see the lower layers: a hardlink to a lower file
//     fails, and a write through a symlink that a lower layer made (the
//     two-archive pattern) creates a real folder hiding the symlink.
//     containerd itself avoids both by applying onto a mounted overlay.
//   - Whiteouts act on the layer's own entries when they come after them
//     (merged form deletes them, overlay form fails with EEXIST), and a
//     merged-form opaque marker deletes folders that the same layer made
//     implicitly (a/sub/f then a/.wh..wh..opq loses a/sub).
//   - overlayfs ignores the opaque xattr on a layer's root folder, so a
//     top-level opaque marker did not hide anything once mounted.
//   - WithParents (metadata for implicit folders from the lower folders)
//     ignores whiteouts and opaque folders, and fails with ENOTDIR where a
//     lower layer holds a file on the way; parents are made here instead.
//   - github.com/moby/go-archive was read, not adopted: its Unpack rejects
//     climbing names, but it joins paths lexically and relies on a chroot
//     (chrootarchive, a re-exec) to stop a write through `link/pwned`.
//
// So containerd still writes every entry (files, modes, owners, xattrs,
// devices, times), and applyGuard, its header filter, does the rest:
// climbing names fail with ErrEscapesRoot naming the entry; every parent
// is resolved through the merged view of this layer over the lower ones
// (applyResolver) and the header is rewritten to the result; whiteouts are
// handled so that they act on the lower layers only (apply_whiteout.go);
// a lower file is copied up before a hardlink to it, as overlayfs would.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/log"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// ErrEscapesRoot marks a layer entry whose name or hardlink target climbs
// out of the folder the layer is applied to. Apply marks such errors
// errdefs.Invalid too (bad input: exit code 2).
var ErrEscapesRoot = errors.New("path climbs out of the root")

// ErrDiffIDMismatch marks a layer whose uncompressed bytes do not hash to
// the diffID the image config promises (marked errdefs.Invalid too).
var ErrDiffIDMismatch = errors.New("diffID mismatch")

// ApplyOption changes how Apply writes a layer.
type ApplyOption func(*applyOptions) error

type applyOptions struct {
	merged bool
	lowers []string // lowest first
	diffID v1.Hash
	digest v1.Hash
}

// WithMerged makes Apply produce a merged rootfs, as on a host without
// overlayfs: root already holds the layers below, whiteouts delete, and an
// opaque marker empties its folder of what the lower layers left. The
// default is overlay form: root holds this one layer, whiteouts become 0/0
// character devices and opaque markers the xattr trusted.overlay.opaque=y.
func WithMerged() ApplyOption {
	return func(o *applyOptions) error {
		o.merged = true
		return nil
	}
}

// WithLowerDirs names the folders of the layers below, lowest first, for
// overlay form: paths are resolved through the merged view of root over
// them, a hardlink to a file that only a lower layer holds copies that
// file up into root first, and new parent folders take their mode and
// owner from the folders the merged view shows. Default: none. It
// conflicts with WithMerged.
func WithLowerDirs(dirs []string) ApplyOption {
	return func(o *applyOptions) error {
		o.lowers = append([]string(nil), dirs...)
		return nil
	}
}

// WithDiffID makes Apply hash the uncompressed stream and fail with
// ErrDiffIDMismatch unless it matches. The files are written by then: the
// caller discards root (Snapshots.Prepare removes its temporary folder).
// Default: not checked.
func WithDiffID(diffID v1.Hash) ApplyOption {
	return func(o *applyOptions) error {
		o.diffID = diffID
		return nil
	}
}

// WithLayerDigest names the layer (its compressed digest) in errors.
// Default: the diffID if known, else errors name only the entry.
func WithLayerDigest(digest v1.Hash) ApplyOption {
	return func(o *applyOptions) error {
		o.digest = digest
		return nil
	}
}

// Apply applies one uncompressed layer tar stream to the folder root. In
// the default overlay form root receives this layer alone (the layers below
// are in the folders given by WithLowerDirs); WithMerged applies it on top
// of the layers already in root.
//
// Every path is resolved inside root: an entry whose name or hardlink
// target climbs out (`../../x`) fails the layer with ErrEscapesRoot naming
// the entry (and the layer); `/abs` lands at root/abs, and so does
// `/../abs` (an absolute path cannot climb above its root); a write
// through a symlink stays in root (`link -> /etc` then `link/f` writes
// root/etc/f), in overlay form also through a symlink of a lower layer.
// Symlink targets are kept as written, absolute or relative, even when a
// relative one climbs above root: they are resolved at use time with root
// as the boundary (like a chroot), never followed out of it here.
//
// Whiteouts act on the lower layers only, wherever they stand in the tar.
// An entry below a name that the merged view holds as a file fails (as a
// write to the mounted overlay would).
func Apply(ctx context.Context, root string, layer io.Reader, opts ...ApplyOption) error {
	var o applyOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return err
		}
	}
	if o.merged && len(o.lowers) > 0 {
		return errors.New("apply: WithMerged and WithLowerDirs conflict")
	}
	name := o.layerName()

	var sum hash.Hash
	if o.diffID != (v1.Hash{}) {
		sum = sha256.New()
		layer = io.TeeReader(layer, sum)
	}
	guard := newApplyGuard(root, o.merged, o.lowers)
	aopts := []archive.ApplyOpt{archive.WithFilter(guard.filter)}
	if !o.merged {
		aopts = append(aopts, archive.WithConvertWhiteout(archive.OverlayConvertWhiteout))
	}
	if _, err := archive.Apply(applyQuiet(ctx), root, layer, aopts...); err != nil {
		err = fmt.Errorf("apply layer %s: %w", name, err)
		if errors.Is(err, ErrEscapesRoot) {
			err = errdefs.Invalid(err)
		}
		return err
	}
	if err := guard.finish(); err != nil {
		return fmt.Errorf("apply layer %s: %w", name, err)
	}
	if sum == nil {
		return nil
	}

	// The tar reader stops at the end-of-archive marker; the diffID covers
	// the padding after it too.
	if _, err := io.Copy(io.Discard, layer); err != nil {
		return fmt.Errorf("apply layer %s: %w", name, err)
	}
	got := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum.Sum(nil))}
	if got != o.diffID {
		return errdefs.Invalid(fmt.Errorf("apply layer %s: %w: uncompressed stream is %s, want %s",
			name, ErrDiffIDMismatch, got, o.diffID))
	}
	return nil
}

func (o *applyOptions) layerName() string {
	switch {
	case o.digest != (v1.Hash{}):
		return o.digest.String()
	case o.diffID != (v1.Hash{}):
		return o.diffID.String()
	}
	return "(unnamed)"
}

// applyQuiet gives containerd a logger that discards: a library prints
// nothing. What containerd would warn about is an xattr the filesystem
// does not support, or a device node it may not create in a user
// namespace.
//
// TODO: those entries are skipped without a word; a user sees a file
// without its xattr, or a missing device node, and no warning.
func applyQuiet(ctx context.Context) context.Context {
	l := logrus.New()
	l.Out = io.Discard
	l.Level = logrus.PanicLevel
	return log.WithLogger(ctx, logrus.NewEntry(l))
}

func reversed(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[len(dirs)-1-i] = d
	}
	return out
}
