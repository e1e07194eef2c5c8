package snapshotter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// VerifyReport says what VerifyAll found.
type VerifyReport struct {
	Corrupt []v1.Hash // blobs whose bytes do not hash to their names
	Missing []v1.Hash // blobs a named image needs that are not in the store
	Broken  []string  // names whose content is incomplete or corrupt
	Dropped []string  // of those, the names repair removed
}

// OK reports whether the store passed.
func (r VerifyReport) OK() bool {
	return len(r.Corrupt) == 0 && len(r.Missing) == 0 && len(r.Broken) == 0
}

// VerifyAll reads index.json, hashes every blob again and checks that
// every named image has all its blobs (the manifests of index entries
// that were not pulled excepted). With repair it removes the corrupt
// blobs, so that the next pull fetches them again, and drops the names
// whose content is no longer whole, so that images, save and push never
// meet them half there.
func (s *Store) VerifyAll(ctx context.Context, repair bool) (VerifyReport, error) {
	var rep VerifyReport
	lock := s.shared
	if repair {
		lock = s.exclusive
	}
	l, err := lock(ctx)
	if err != nil {
		return rep, err
	}
	defer l.Unlock()

	im, err := s.readIndex()
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	dir := filepath.Join(s.content, "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	bad := map[v1.Hash]bool{}
	for _, e := range entries {
		h, ok := hashOf(e.Name())
		if !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if ok, err := s.blobMatches(h); err != nil {
			return rep, err
		} else if !ok {
			rep.Corrupt = append(rep.Corrupt, h)
			bad[h] = true
		}
	}

	missing := map[v1.Hash]bool{}
	var keep []v1.Descriptor
	for _, d := range im.Manifests {
		gone := s.incomplete(d, true, bad)
		for _, h := range gone {
			missing[h] = true
		}
		name := d.Annotations[RefNameAnnotation]
		if len(gone) == 0 {
			keep = append(keep, d)
			continue
		}
		rep.Broken = append(rep.Broken, name)
	}
	for h := range missing {
		if !bad[h] {
			rep.Missing = append(rep.Missing, h)
		}
	}
	sort.Slice(rep.Missing, func(i, j int) bool { return rep.Missing[i].Hex < rep.Missing[j].Hex })
	if !repair {
		return rep, nil
	}
	for _, h := range rep.Corrupt {
		if err := os.Remove(s.blobPath(h)); err != nil {
			return rep, fmt.Errorf("repair %s: %w", h, err)
		}
	}
	if len(rep.Broken) > 0 {
		im.Manifests = keep
		if err := s.writeIndex(im); err != nil {
			return rep, fmt.Errorf("repair: %w", err)
		}
		rep.Dropped = rep.Broken
	}
	return rep, nil
}

// incomplete lists the blobs d needs that are missing or in bad. The
// manifest of an index entry that was never pulled is not needed (top is
// false there), but one that is present must be whole.
func (s *Store) incomplete(d v1.Descriptor, top bool, bad map[v1.Hash]bool) []v1.Hash {
	if bad[d.Digest] {
		return []v1.Hash{d.Digest}
	}
	raw, err := s.blob(d.Digest)
	if err != nil {
		if top {
			return []v1.Hash{d.Digest}
		}
		return nil
	}
	var out []v1.Hash
	if d.MediaType.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytesReader(raw))
		if err != nil {
			return []v1.Hash{d.Digest}
		}
		for _, c := range idx.Manifests {
			out = append(out, s.incomplete(c, false, bad)...)
		}
		return out
	}
	mf, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return []v1.Hash{d.Digest}
	}
	for _, b := range append([]v1.Descriptor{mf.Config}, mf.Layers...) {
		if bad[b.Digest] || !s.hasBlob(b.Digest) {
			out = append(out, b.Digest)
		}
	}
	return out
}
