package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Content pins: a files source's files and a Go module's source files are
// recorded in the lock, one entry per file, keyed by the path relative to
// the build context. A value is "MODE sha256:HEX" for a regular file (MODE
// 0644 or 0755, as the image gets it), "link TARGET" for a symlink.

// pinFiles records what a files source's entries copy.
func (b *build) pinFiles(files []FileSource) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range files {
		src, err := inContext(b.spec.Context, f.Src, false)
		if err == nil {
			err = b.pinTree(src, out)
		}
		if err != nil {
			return nil, errdefs.Invalid(fmt.Errorf("%s: files: %s: %w", b.at(f.Line), f.Src, err))
		}
	}
	return out, nil
}

// pinTree adds src (a file, a link, or a folder walked without following
// links) to out.
func (b *build) pinTree(src string, out map[string]string) error {
	root, err := filepath.EvalSymlinks(b.spec.Context)
	if err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		v, err := pinOne(p, d)
		if err != nil || v == "" {
			return err
		}
		out[filepath.ToSlash(rel)] = v
		return nil
	})
}

func pinOne(p string, d fs.DirEntry) (string, error) {
	switch {
	case d.IsDir():
		return "", nil
	case d.Type()&fs.ModeSymlink != 0:
		t, err := os.Readlink(p)
		return "link " + t, err
	case d.Type().IsRegular():
		fi, err := d.Info()
		if err != nil {
			return "", err
		}
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
		mode := "0644"
		if fi.Mode()&0o111 != 0 {
			mode = "0755"
		}
		return mode + " sha256:" + hex.EncodeToString(h.Sum(nil)), nil
	}
	return "", fmt.Errorf("%s: not a regular file, folder or symlink", p)
}

// pinGoSources records the main module's files that the go source's
// packages compile from (Go, assembly, C and header files, embedded
// files), for every platform of the spec.
func (b *build) pinGoSources(ctx context.Context, g *GoSource, line int) (map[string]string, error) {
	dir, err := inContext(b.spec.Context, g.Module, true)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: %w", b.at(line), err))
	}
	targets, err := parsePlatforms(b.spec.Platforms)
	if err != nil {
		return nil, err
	}
	const tmpl = `{{if and .Module .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .CgoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .SFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .HFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .CFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}
{{end}}{{end}}`
	names := map[string]bool{}
	for _, t := range targets {
		args := []string{"list", "-e", "-deps", "-f", tmpl}
		if len(g.Tags) > 0 {
			args = append(args, "-tags="+strings.Join(g.Tags, ","))
		}
		cmd := exec.CommandContext(ctx, "go", append(args, g.Packages...)...)
		cmd.Dir = dir
		cmd.Env = goEnv(t)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, errdefs.Invalid(fmt.Errorf("%s: go module %s: list sources for %s: %s",
				b.at(line), g.Module, t, strings.TrimSpace(stderr.String())))
		}
		for _, n := range strings.Fields(string(out)) {
			names[n] = true
		}
	}
	pins := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if err := b.pinTree(n, pins); err != nil {
			return nil, err
		}
	}
	return pins, nil
}

// pinsDiffer names the paths whose pins differ between old and cur (at
// most three, then a count).
func pinsDiffer(old, cur map[string]string) string {
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		switch o, ok := old[k]; {
		case !ok:
			diff = append(diff, k+" (new)")
		case o != cur[k]:
			diff = append(diff, k+" (changed)")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if _, ok := cur[k]; !ok {
			diff = append(diff, k+" (gone)")
		}
	}
	if len(diff) > 3 {
		diff = append(diff[:3], fmt.Sprintf("and %d more", len(diff)-3))
	}
	return strings.Join(diff, ", ")
}
