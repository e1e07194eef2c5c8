package snapshotter

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Load stores the images of a tar file at path and returns the names it
// stored. It reads the OCI image layout part when the file has one whose
// index.json names images (as Save and Docker 25+ write it), so an index
// keeps every platform and its digest; otherwise it reads manifest.json
// (docker save of any version) and stores each tagged image under its tags.
// Every blob is checked against its digest on the way in.
func (s *Store) Load(ctx context.Context, path string) ([]string, error) {
	tmp, err := os.MkdirTemp(s.root, "load-")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer os.RemoveAll(tmp)

	hasIndex, err := extractLayout(path, tmp)
	if err != nil {
		return nil, err
	}
	if hasIndex {
		names, err := s.loadLayout(ctx, path, tmp)
		if err != nil || len(names) > 0 {
			return names, err
		}
	}
	names, err := s.loadDocker(ctx, path)
	if err != nil && hasIndex && len(names) == 0 {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: its OCI layout names no image (no %s or full-reference %s annotation in index.json) and it has no docker manifest.json to fall back on",
			path, ContainerdNameAnnotation, RefNameAnnotation))
	}
	return names, err
}

// extractLayout copies the OCI layout files of the tar at path into dir:
// index.json and blobs/sha256/<hex>, nothing else, so no entry can land
// outside dir. It reports whether index.json was there.
func extractLayout(path, dir string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, errdefs.NotFound(fmt.Errorf("load %s: %w", path, err))
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return false, err
	}
	hasIndex := false
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return hasIndex, nil
		}
		if err != nil {
			return false, errdefs.Invalid(fmt.Errorf("load %s: %w", path, err))
		}
		entry := strings.TrimPrefix(hdr.Name, "./")
		if hdr.Typeflag != tar.TypeReg || !layoutFile(entry) {
			continue
		}
		if entry == "index.json" {
			hasIndex = true
		}
		if err := copyEntry(filepath.Join(dir, filepath.FromSlash(entry)), tr); err != nil {
			return false, fmt.Errorf("load %s: %s: %w", path, entry, err)
		}
	}
}

func layoutFile(entry string) bool {
	if entry == "index.json" || entry == "oci-layout" {
		return true
	}
	hexName, ok := strings.CutPrefix(entry, "blobs/sha256/")
	if !ok {
		return false
	}
	_, ok = hashOf(hexName)
	return ok
}

func copyEntry(dst string, r io.Reader) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadLayout stores the images index.json names. A name comes from the
// io.containerd.image.name annotation, or from
// org.opencontainers.image.ref.name when that holds a whole reference.
func (s *Store) loadLayout(ctx context.Context, path, dir string) ([]string, error) {
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: index.json: %w", path, err))
	}
	im, err := root.IndexManifest()
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: index.json: %w", path, err))
	}
	present := func(d v1.Descriptor) bool {
		_, err := os.Stat(filepath.Join(dir, "blobs", d.Digest.Algorithm, d.Digest.Hex))
		return err == nil
	}
	var names []string
	for _, d := range im.Manifests {
		ref := d.Annotations[ContainerdNameAnnotation]
		if r := d.Annotations[RefNameAnnotation]; ref == "" && strings.ContainsAny(r, "/:") {
			ref = r
		}
		if ref == "" {
			continue
		}
		if err := s.loadEntry(ctx, root, d, ref, present); err != nil {
			return names, fmt.Errorf("load %s: %w", path, err)
		}
		names = append(names, ref)
	}
	return names, nil
}

func (s *Store) loadEntry(ctx context.Context, root v1.ImageIndex, d v1.Descriptor, ref string, present func(v1.Descriptor) bool) error {
	if d.MediaType.IsIndex() {
		idx, err := root.ImageIndex(d.Digest)
		if err != nil {
			return err
		}
		_, err = s.writeWith(ctx, ref, nil, func(w *blobWriter) (v1.Descriptor, error) {
			if _, err := w.writeIndex(ctx, idx, present); err != nil {
				return v1.Descriptor{}, err
			}
			return descriptorOf(idx)
		})
		return err
	}
	img, err := root.Image(d.Digest)
	if err != nil {
		return err
	}
	_, err = s.WriteImage(ctx, ref, img)
	return err
}

// TODO: loadDocker skips untagged entries of manifest.json, because
// go-containerregistry's tarball package opens images by tag only; a user
// loading an old docker save file with untagged images sees only the
// tagged ones.

// loadDocker reads manifest.json and stores each tagged image.
func (s *Store) loadDocker(ctx context.Context, path string) ([]string, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: %w", path, err))
	}
	if err := checkManifestPaths(path, m); err != nil {
		return nil, err
	}
	var names []string
	for _, entry := range m {
		for _, t := range entry.RepoTags {
			tag, err := name.NewTag(t)
			if err != nil {
				return names, errdefs.Invalid(fmt.Errorf("load %s: tag %q: %w", path, t, err))
			}
			img, err := tarball.Image(opener, &tag)
			if err != nil {
				return names, errdefs.Invalid(fmt.Errorf("load %s: %s: %w", path, t, err))
			}
			if _, err := s.WriteImage(ctx, t, img); err != nil {
				return names, err
			}
			names = append(names, t)
		}
	}
	if len(names) == 0 {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: no named image in the file", path))
	}
	return names, nil
}

// checkManifestPaths refuses a manifest.json whose config or layer paths
// leave the tar's root (absolute, ../) or name an entry that is not a
// regular file (a symlink to elsewhere): such a file is not a docker save
// file, whatever it was made for.
func checkManifestPaths(path string, m tarball.Manifest) error {
	want := map[string]bool{}
	for _, e := range m {
		for _, p := range append([]string{e.Config}, e.Layers...) {
			clean := filepath.ToSlash(filepath.Clean(p))
			if p == "" || filepath.IsAbs(p) || clean == ".." || strings.HasPrefix(clean, "../") {
				return errdefs.Invalid(fmt.Errorf("load %s: manifest.json names %q, outside the file", path, p))
			}
			want[clean] = true
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errdefs.Invalid(fmt.Errorf("load %s: %w", path, err))
		}
		name := filepath.ToSlash(filepath.Clean(hdr.Name))
		if want[name] && hdr.Typeflag != tar.TypeReg {
			return errdefs.Invalid(fmt.Errorf("load %s: %s is not a regular file in the tar (type %q)", path, hdr.Name, hdr.Typeflag))
		}
	}
}
