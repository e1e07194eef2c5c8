package snapshotter

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// applyMaxLinks bounds the symlinks followed while resolving one path, as
// the kernel's ELOOP limit does.
const applyMaxLinks = 255

// applyResolver resolves folder paths of a layer in overlay form through
// the merged view of the layer's own folder over the lower ones, with the
// root as a hard boundary. containerd's Apply resolves symlinks only in the
// folder it writes to, which in overlay form holds this one layer: a write
// through a symlink that a lower layer made (the two-archive pattern of
// CVE-2025-45582) would otherwise create a real folder that hides the
// symlink, and the merged view would differ from a merged apply.
type applyResolver struct {
	layers []string // this layer's folder, then the lower ones, top first
	cache  map[string]string
	links  map[string]bool // paths found to be symlinks while resolving
	hidden map[string]bool // paths this layer hides in the lower layers
	below  map[string]bool // folders whose lower content this layer hides
}

func newApplyResolver(root string, lowers []string) *applyResolver {
	return &applyResolver{
		layers: append([]string{root}, reversed(lowers)...),
		cache:  map[string]string{},
		links:  map[string]bool{},
		hidden: map[string]bool{},
		below:  map[string]bool{},
	}
}

// changed tells the resolver that this layer writes rel. A new symlink
// changes only the resolutions that passed through its path; replacing a
// symlink that was followed, or a whiteout, may change any.
func (r *applyResolver) changed(rel string, symlink bool) {
	if r.links[rel] || strings.HasPrefix(path.Base(rel), applyWhiteoutPrefix) {
		clear(r.cache)
		clear(r.links)
		return
	}
	if !symlink {
		return
	}
	for k, v := range r.cache {
		if v == rel || strings.HasPrefix(v, rel+"/") {
			delete(r.cache, k)
		}
	}
}

// hide records that this layer hides what the lower layers hold at rel
// and below (a whiteout, a folder made anew); hideBelow, only below rel
// (an opaque marker). containerd may create the folder that shows it only
// after the filter.
func (r *applyResolver) hide(rel string) { r.mark(r.hidden, rel) }

func (r *applyResolver) hideBelow(rel string) { r.mark(r.below, rel) }

func (r *applyResolver) mark(m map[string]bool, rel string) {
	if !m[rel] {
		m[rel] = true
		clear(r.cache)
		clear(r.links)
	}
}

// lookup is applyLookup over this layer and the lower ones, as far as
// this layer lets the lower ones show.
func (r *applyResolver) lookup(rel string) (string, fs.FileInfo, error) {
	for p := rel; ; p = path.Dir(p) {
		if r.hidden[p] || (p != rel && r.below[p]) {
			return applyLookup(r.layers[:1], rel)
		}
		if p == "." {
			return applyLookup(r.layers, rel)
		}
	}
}

// resolve returns the clean relative path that the folder rel (clean,
// relative) names in the merged view, following every symlink on the way
// with the root as boundary: an absolute target starts again at the root,
// and ".." never climbs above it. Missing parts are kept as named.
func (r *applyResolver) resolve(rel string) (string, error) {
	if got, ok := r.cache[rel]; ok {
		return got, nil
	}
	cur, rest, followed := ".", rel, 0
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		switch part {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		layer, fi, err := r.lookup(next)
		if err != nil {
			return "", err
		}
		if fi != nil && !fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0 {
			// As a merged apply would, and as a write to the mounted
			// overlay would: a layer may not write under a file.
			return "", fmt.Errorf("%q: %w", next, unix.ENOTDIR)
		}
		if fi == nil || fi.IsDir() {
			cur = next
			continue
		}

		if followed++; followed > applyMaxLinks {
			return "", fmt.Errorf("%q: %w", rel, unix.ELOOP)
		}
		target, err := os.Readlink(filepath.Join(layer, next))
		if err != nil {
			return "", err
		}
		r.links[next] = true
		if path.IsAbs(target) {
			cur = "."
		}
		rest = target + "/" + rest
	}
	r.cache[rel] = cur
	return cur, nil
}

// resolveName resolves the parent folder of the entry name rel and joins
// the last element, which is never followed (the entry replaces it).
func (r *applyResolver) resolveName(rel string) (string, error) {
	dir, base := path.Split(rel)
	if dir == "" {
		return rel, nil
	}
	parent, err := r.resolve(path.Clean(dir))
	if err != nil {
		return "", err
	}
	return path.Join(parent, base), nil
}
