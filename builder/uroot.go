package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/internal/flock"
)

// The u-root release the uroot layer is built from, and the gobusybox
// builder (makebb) that compiles its commands into one binary. Both match
// crossdock's go.mod.
const (
	URootVersion     = "v0.16.0"
	GobusyboxVersion = "v0.0.0-20250101170133-2e884e4509c7"
	// xToolsVersion is the golang.org/x/tools makebb is built with.
	xToolsVersion = "v0.49.0"
)

// urootLayer is /bin/bb (the commands in one binary), a symlink to it for
// each command, /bin/sh -> gosh when gosh is one, and the usual empty
// folders.
func (b *build) urootLayer(ctx context.Context, u *LockedURoot, t target) (*layerRecord, error) {
	bb, err := b.busybox(ctx, u, t)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(bb)
	if err != nil {
		return nil, err
	}
	tr := newTree()
	tr.addFile("/bin/bb", bb, fi.Size(), 0o755, 0, 0)
	for _, c := range u.Commands {
		tr.addSymlink("/bin/"+c, "bb")
		if c == "gosh" {
			tr.addSymlink("/bin/sh", "gosh")
		}
	}
	tr.addDir("/tmp", 0o1777, 0, 0)
	for _, d := range []string{"/etc", "/root", "/proc", "/sys", "/dev", "/usr/bin"} {
		tr.addDir(d, 0o755, 0, 0)
	}
	return b.treeLayer(ctx, tr)
}

// busybox returns the path of the u-root busybox binary for t, building it
// on a cache miss. makebb runs on the host; only the Go compiler's
// GOARCH/GOARM pick the target, so no ARM code runs.
func (b *build) busybox(ctx context.Context, u *LockedURoot, t target) (string, error) {
	key := layerKey("uroot-bb", u, t.String(), b.goVer)
	dir := filepath.Join(b.opts.cacheDir, "uroot", key)
	bin := filepath.Join(dir, "bb")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lk, err := flock.Exclusive(ctx, filepath.Join(dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer lk.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}

	src, err := goModDir(ctx, "github.com/u-root/u-root@"+u.Version)
	if err != nil {
		return "", err
	}
	if err := b.checkURootCommands(src, u); err != nil {
		return "", err
	}
	makebb, err := b.makebb(ctx, u)
	if err != nil {
		return "", err
	}
	b.opts.report(Event{Platform: t.String(), Kind: "uroot", Step: "build",
		Detail: fmt.Sprintf("u-root %s, %d commands", u.Version, len(u.Commands))})
	gen := filepath.Join(dir, "gen")
	if err := os.RemoveAll(gen); err != nil {
		return "", err
	}
	defer os.RemoveAll(gen)
	args := []string{"-g", "-gen-dir", gen}
	for _, c := range u.Commands {
		args = append(args, "./cmds/core/"+c)
	}
	goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	cmd := exec.CommandContext(ctx, makebb, args...)
	cmd.Dir = src
	// makebb finds the compiler through GOROOT.
	cmd.Env = append(goEnv(t), "GOROOT="+strings.TrimSpace(string(goroot)))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", errdefs.Invalid(fmt.Errorf("u-root %s commands %v for %s: %w\n%s",
			u.Version, u.Commands, t, err, tail(out.String(), 2000)))
	}

	// makebb's own build passes -a, which defeats the Go build cache; the
	// generated GOPATH tree is built here with the same reproducible flags
	// (-trimpath keeps the folder out of the cache keys and the binary).
	tmp := bin + ".tmp"
	cmd = exec.CommandContext(ctx, "go", "build", "-trimpath", "-gcflags=all=-l",
		"-ldflags=-s -w -buildid=", "-o", tmp, ".")
	cmd.Dir = filepath.Join(gen, "src", "bb.u-root.com", "bb")
	cmd.Env = append(goEnv(t), "GO111MODULE=off", "GOPATH="+gen, "GOFLAGS=")
	out.Reset()
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", errdefs.Invalid(fmt.Errorf("u-root %s commands %v for %s: %w\n%s",
			u.Version, u.Commands, t, err, tail(out.String(), 2000)))
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// checkURootCommands refuses command names that are not folders of
// u-root's cmds/core, naming the spec's line and what there is.
func (b *build) checkURootCommands(src string, u *LockedURoot) error {
	core := filepath.Join(src, "cmds", "core")
	for _, c := range u.Commands {
		if fi, err := os.Stat(filepath.Join(core, c)); err == nil && fi.IsDir() {
			continue
		}
		line := 0
		for _, l := range b.spec.Layers {
			if l.URoot != nil {
				line = l.Line
				break
			}
		}
		var have []string
		ents, _ := os.ReadDir(core)
		for _, e := range ents {
			if e.IsDir() {
				have = append(have, e.Name())
			}
		}
		return errdefs.Invalid(fmt.Errorf("%s: uroot: u-root %s has no core command %q "+
			"(it has: %s)", b.at(line), u.Version, c, strings.Join(have, " ")))
	}
	return nil
}

// makebb builds gobusybox's makebb for the host into the cache. It is
// built in a small module of its own that raises golang.org/x/tools to a
// version the current Go compiles (gobusybox's own pin is too old).
func (b *build) makebb(ctx context.Context, u *LockedURoot) (string, error) {
	dir := filepath.Join(b.opts.cacheDir, "tools", "gobusybox-"+u.Gobusybox)
	bin := filepath.Join(dir, "makebb")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lk, err := flock.Exclusive(ctx, filepath.Join(dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer lk.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	mod := fmt.Sprintf("module crossdock.local/makebb\n\ngo 1.24\n\nrequire (\n"+
		"\tgithub.com/u-root/gobusybox/src %s\n\tgolang.org/x/tools %s\n)\n",
		u.Gobusybox, xToolsVersion)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin+".tmp",
		"github.com/u-root/gobusybox/src/cmd/makebb")
	cmd.Env = goEnv(target{GOARCH: hostGOARCH()})
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build makebb %s: %w\n%s", u.Gobusybox, err, tail(string(out), 2000))
	}
	return bin, os.Rename(bin+".tmp", bin)
}

// goModDir downloads a module through the module proxy and returns its
// folder in the module cache.
func goModDir(ctx context.Context, modAtVersion string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", modAtVersion)
	cmd.Env = goEnv(target{GOARCH: hostGOARCH()})
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w\n%s", modAtVersion, err, out)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", modAtVersion, m.Error)
	}
	return m.Dir, nil
}

// tail keeps the last n bytes of s.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func hostGOARCH() string { return runtime.GOARCH }
