package debian

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xi2/xz"
	"pault.ag/go/debian/control"
	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"
)

// parseCompressed reads an xz- (or gzip-) compressed Packages file.
func parseCompressed(r io.Reader, arch string, gzipped bool) ([]*entry, error) {
	var zr io.Reader
	var err error
	if gzipped {
		zr, err = gzip.NewReader(r)
	} else {
		zr, err = xz.NewReader(r, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return parsePackages(bufio.NewReaderSize(zr, 1<<20), arch)
}

// parsePackages reads a Packages file. Packages of another architecture
// than arch (or "all") are skipped.
func parsePackages(r io.Reader, arch string) ([]*entry, error) {
	pr, err := control.NewParagraphReader(r, nil)
	if err != nil {
		return nil, err
	}
	var entries []*entry
	for {
		p, err := pr.Next()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		e, err := newEntry(p.Values)
		if err != nil {
			return nil, err
		}
		if e.Architecture != arch && e.Architecture != "all" {
			continue
		}
		if e.provides, err = parseProvides(e); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
}

func newEntry(v map[string]string) (*entry, error) {
	e := &entry{Package: Package{
		Name:         v["Package"],
		Version:      v["Version"],
		Architecture: v["Architecture"],
		MultiArch:    v["Multi-Arch"],
		Source:       v["Source"],
		Filename:     v["Filename"],
		SHA256:       v["SHA256"],
		Essential:    v["Essential"] == "yes",
		Priority:     v["Priority"],
		Depends:      v["Depends"],
		PreDepends:   v["Pre-Depends"],
		Provides:     v["Provides"],
		Conflicts:    v["Conflicts"],
		Breaks:       v["Breaks"],
	}}
	if e.Name == "" || e.Filename == "" || e.SHA256 == "" {
		return nil, fmt.Errorf("package %q: missing Package, Filename or SHA256", e.Name)
	}
	var err error
	if e.version, err = version.Parse(e.Version); err != nil {
		return nil, fmt.Errorf("package %s: version %q: %w", e.Name, e.Version, err)
	}
	if e.Size, err = strconv.ParseInt(v["Size"], 10, 64); err != nil {
		return nil, fmt.Errorf("package %s: size %q: %w", e.Name, v["Size"], err)
	}
	return e, nil
}

// add records one package and what it provides.
func (ix *Index) add(e *entry) {
	ix.byName[e.Name] = append(ix.byName[e.Name], e)
	for _, p := range e.provides {
		ix.providers[p.Name] = append(ix.providers[p.Name], provided{e: e, version: p.Version})
	}
}

// provide is one name in a Provides field, perhaps with an "=" version.
type provide struct{ Name, Version string }

func parseProvides(e *entry) ([]provide, error) {
	if e.Provides == "" {
		return nil, nil
	}
	prov, err := dependency.Parse(e.Provides)
	if err != nil {
		return nil, fmt.Errorf("package %s: Provides %q: %w", e.Name, e.Provides, err)
	}
	var out []provide
	for _, p := range prov.GetAllPossibilities() {
		pv := provide{Name: p.Name}
		if p.Version != nil {
			if p.Version.Operator != "=" {
				return nil, fmt.Errorf("package %s: Provides %s: only = versions are allowed", e.Name, p)
			}
			pv.Version = p.Version.Number
		}
		out = append(out, pv)
	}
	return out, nil
}

// deps parses the Pre-Depends and Depends of a package. They are parsed
// anew by each Resolve, which keeps an Index read-only and safe to share.
func (e *entry) deps() ([]dependency.Relation, error) {
	pre, err := parseDeps(e.PreDepends)
	if err != nil {
		return nil, fmt.Errorf("%s: Pre-Depends: %w", e.Package, err)
	}
	deps, err := parseDeps(e.Depends)
	if err != nil {
		return nil, fmt.Errorf("%s: Depends: %w", e.Package, err)
	}
	return append(pre.Relations, deps.Relations...), nil
}

func parseDeps(s string) (*dependency.Dependency, error) {
	if strings.TrimSpace(s) == "" {
		return &dependency.Dependency{}, nil
	}
	return dependency.Parse(s)
}
