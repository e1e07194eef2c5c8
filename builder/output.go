package builder

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// CheckOCILayoutDest refuses dir as an OCI layout destination unless it is
// absent, an empty folder, or a folder holding an OCI layout (an oci-layout
// file): an output never replaces anything else, so a mistyped path cannot
// wipe a user's folder or turn a device node into a folder.
func CheckOCILayoutDest(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return checkParentDir(dir)
	}
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("oci layout %s: %w", dir, err))
	}
	if !fi.IsDir() {
		return errdefs.Invalid(fmt.Errorf("oci layout %s: exists and is not a folder "+
			"(%s): refusing to replace it", dir, fi.Mode().Type()))
	}
	if li, err := os.Lstat(filepath.Join(dir, "oci-layout")); err == nil && li.Mode().IsRegular() {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("oci layout %s: %w", dir, err))
	}
	if len(ents) != 0 {
		return errdefs.Invalid(fmt.Errorf("oci layout %s: a folder that is not an OCI "+
			"layout (no oci-layout file): refusing to replace it", dir))
	}
	return nil
}

// CheckDockerDest refuses file as a docker tarball destination unless it
// is "-" (standard output), absent in an existing folder, or a regular
// file (replaced).
func CheckDockerDest(file string) error {
	if file == "-" {
		return nil
	}
	fi, err := os.Lstat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return checkParentDir(file)
	}
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("docker tarball %s: %w", file, err))
	}
	if !fi.Mode().IsRegular() {
		return errdefs.Invalid(fmt.Errorf("docker tarball %s: exists and is not a "+
			"regular file (%s): refusing to replace it", file, fi.Mode().Type()))
	}
	return nil
}

func checkParentDir(p string) error {
	d := filepath.Dir(p)
	fi, err := os.Stat(d)
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("output %s: folder %s: %w", p, d, err))
	}
	if !fi.IsDir() {
		return errdefs.Invalid(fmt.Errorf("output %s: %s is not a folder", p, d))
	}
	return nil
}

// WriteOCILayout writes idx as an OCI image layout folder at dir, named ref
// (the org.opencontainers.image.ref.name annotation). The folder is written
// beside dir and renamed into place, so dir is either complete or absent;
// an existing OCI layout at dir is swapped out atomically (renameat2
// RENAME_EXCHANGE) and then removed. Anything else at dir is refused (see
// CheckOCILayoutDest).
func WriteOCILayout(dir, ref string, idx v1.ImageIndex) error {
	if err := CheckOCILayoutDest(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	ann := map[string]string{"org.opencontainers.image.ref.name": ref}
	if err := p.AppendIndex(idx, layout.WithAnnotations(ann)); err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	// GGCR writes blobs 0600 and index.json 0755: everything is readable
	// by all and nothing executable, like any other file a user writes.
	err = filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOENT) {
		err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
	}
	if err != nil {
		return fmt.Errorf("oci layout %s: rename into place: %w", dir, err)
	}
	// tmp now holds the replaced layout (if any); the deferred RemoveAll
	// deletes it.
	return nil
}

// WriteDockerTarball writes the image of one platform of idx as a tarball
// that `docker load` reads, tagged ref, to file ("-" is standard output).
// A docker tarball holds one image per tag, so an index with several
// platforms needs platform to pick one ("" is allowed only for a
// one-platform index). A new file gets mode 0644, a replaced one keeps its
// mode; anything but a regular file is refused (see CheckDockerDest).
//
// TODO: several platforms cannot go in one docker tarball; users of Docker
// 25+ could load the OCI layout instead, but crossdock does not write one
// tarball per platform for them.
func WriteDockerTarball(file, ref string, idx v1.ImageIndex, platform string) error {
	if file == "-" {
		return WriteDockerTarballTo(os.Stdout, ref, idx, platform)
	}
	if err := CheckDockerDest(file); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Lstat(file); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := WriteDockerTarballTo(tmp, ref, idx, platform); err != nil {
		tmp.Close()
		return fmt.Errorf("docker tarball %s: %w", file, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// WriteDockerTarballTo writes what WriteDockerTarball writes to w.
func WriteDockerTarballTo(w io.Writer, ref string, idx v1.ImageIndex, platform string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("docker tarball: tag %q: %w", ref, err))
	}
	img, err := pickImage(idx, platform)
	if err != nil {
		return err
	}
	return tarball.Write(tag, img, w)
}

// pickImage returns the image of idx for platform, or its only image.
func pickImage(idx v1.ImageIndex, platform string) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if platform == "" {
		if len(im.Manifests) != 1 {
			return nil, errdefs.Invalid(fmt.Errorf("docker tarball: the index has %d "+
				"platforms, a docker tarball holds one: pick it with --platform",
				len(im.Manifests)))
		}
		return idx.Image(im.Manifests[0].Digest)
	}
	t, err := parsePlatform(platform)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	var offer []string
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Equals(t.Platform) {
			return idx.Image(d.Digest)
		}
		if d.Platform != nil {
			offer = append(offer, d.Platform.String())
		}
	}
	return nil, errdefs.NotFound(fmt.Errorf("docker tarball: no image for %s in the "+
		"index (it has %v)", t, offer))
}
