package builder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// goLayer cross-compiles the source's main packages for t and returns the
// layer holding the binaries. The compiler always runs (its own cache makes
// a rebuild quick); the layer is cached by the binaries' content.
func (b *build) goLayer(ctx context.Context, i int, g *GoSource, t target) (*layerRecord, error) {
	dir, err := inContext(b.spec.Context, g.Module, true)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: %w", b.at(b.spec.Layers[i].Line), err))
	}
	out, err := os.MkdirTemp(b.tmp.dir, "go-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)

	tr := newTree()
	for _, pkg := range g.Packages {
		name, err := b.goBinaryName(ctx, i, dir, pkg, t)
		if err != nil {
			return nil, err
		}
		bin := filepath.Join(out, name)
		if err := b.goBuild(ctx, dir, pkg, bin, g, t); err != nil {
			return nil, err
		}
		fi, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		tr.addFile(path.Join(g.Dest, name), bin, fi.Size(), 0o755, 0, 0)
		b.claim(clean(path.Join(g.Dest, name)), i, b.spec.Layers[i].Line)
	}
	return b.treeLayer(ctx, tr)
}

// goBuild runs go build for one main package with the reproducible flags.
func (b *build) goBuild(ctx context.Context, dir, pkg, bin string, g *GoSource, t target) error {
	ldflags := strings.TrimSpace("-buildid= " + g.Ldflags)
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + ldflags, "-o", bin}
	if len(g.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(g.Tags, ","))
	}
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return errdefs.Invalid(fmt.Errorf("go package %s (module %s) does not build for %s:\n%s",
			pkg, g.Module, t, msg))
	}
	return nil
}

// goEnv is the host environment with the target and reproducibility
// settings forced: CGO off, modules resolved through the proxy and pinned
// by go.sum.
func goEnv(t target) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOOS", "GOARCH", "GOARM", "CGO_ENABLED", "GOFLAGS", "GO111MODULE",
			"SOURCE_DATE_EPOCH":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GOOS=linux", "GOARCH="+t.GOARCH, "CGO_ENABLED=0",
		"GOFLAGS=-mod=mod", "GO111MODULE=on")
	if t.GOARM != "" {
		env = append(env, "GOARM="+t.GOARM)
	}
	return env
}

// goBinaryName is the name go build gives a main package's binary: the last
// element of its import path. A package that is not a main package is
// refused (go build would write a Go archive, not a program).
func (b *build) goBinaryName(ctx context.Context, i int, dir, pkg string, t target) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-f",
		"{{.ImportPath}}\t{{.Name}}\t{{if .Error}}error{{end}}", pkg)
	cmd.Dir = dir
	cmd.Env = goEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	at := b.at(b.spec.Layers[i].Line)
	if err != nil {
		return "", errdefs.Invalid(fmt.Errorf("%s: go package %s: %s", at, pkg,
			strings.TrimSpace(stderr.String())))
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 1 {
		return "", errdefs.Invalid(fmt.Errorf("%s: go package %s: names %d packages, "+
			"want one main package per entry", at, pkg, len(lines)))
	}
	f := strings.Split(lines[0], "\t")
	if len(f) == 3 && f[2] == "" && f[1] != "main" {
		return "", errdefs.Invalid(fmt.Errorf("%s: go package %s (%s) is package %s, "+
			"not a main package: it builds no program", at, pkg, f[0], f[1]))
	}
	// A package with errors is left to go build, whose message says more.
	return path.Base(f[0]), nil
}
