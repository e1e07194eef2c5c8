package runner

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// defaultPath is the PATH a container gets when its image sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Create makes a container from spec without starting it. The image is
// taken from the runtime's ImageSource, which pulls it if it is missing.
func (r *Runtime) Create(ctx context.Context, spec Spec) (State, error) {
	img, err := r.images.Image(ctx, spec.Image, spec.Platform)
	if err != nil {
		return State{}, err
	}
	return r.CreateFrom(ctx, spec, img)
}

// CreateFrom makes a container from spec over an image given directly: its
// layer folders and config. Create calls it after finding the image; tests
// and tools that build a rootfs folder themselves call it with that folder
// as the only layer.
func (r *Runtime) CreateFrom(ctx context.Context, spec Spec, img Image) (State, error) {
	if err := validate(spec); err != nil {
		return State{}, err
	}
	if len(img.Layers) == 0 {
		return State{}, errdefs.Invalid(fmt.Errorf("image %s has no layers", spec.Image))
	}
	proc, err := process(spec, img)
	if err != nil {
		return State{}, err
	}
	platform := spec.Platform
	if img.Platform != "" {
		platform = img.Platform
	}

	l, err := r.lock(ctx)
	if err != nil {
		return State{}, err
	}
	defer l.Unlock()
	list, err := r.all()
	if err != nil {
		return State{}, err
	}
	taken := map[string]bool{}
	for _, st := range list {
		taken[st.Name] = true
	}
	if spec.Name == "" {
		spec.Name = newName(taken)
	} else if taken[spec.Name] {
		return State{}, errdefs.Invalid(fmt.Errorf("container name %q is already in use", spec.Name))
	}

	st := State{
		ID: newID(), Name: spec.Name, Image: spec.Image, Platform: platform,
		Status: Created, Labels: spec.Labels, Created: time.Now().UTC(),
		Spec: spec, Process: proc, Layers: img.Layers,
	}
	if st.Spec.Hostname == "" {
		st.Spec.Hostname = st.ID[:12]
	}
	for _, d := range []string{"rootfs", "upper", "work"} {
		if err := os.MkdirAll(filepath.Join(r.dir(st.ID), d), 0o755); err != nil {
			return State{}, fmt.Errorf("create container %s: %w", st.Name, err)
		}
	}
	if err := r.leaseLayers(ctx, st.ID, img.Layers); err != nil {
		os.RemoveAll(r.dir(st.ID))
		return State{}, fmt.Errorf("create container %s: %w", st.Name, err)
	}
	if err := r.save(st); err != nil {
		r.releaseLease(st.ID)
		os.RemoveAll(r.dir(st.ID))
		return State{}, err
	}
	return st, nil
}

// process combines the image's config with the spec by Docker's rules: an
// Entrypoint in the spec replaces the image's and drops the image's Cmd; a
// Cmd in the spec replaces the image's Cmd only.
func process(spec Spec, img Image) (Process, error) {
	cfg := img.Config
	entry, cmd := cfg.Entrypoint, cfg.Cmd
	if spec.Entrypoint != nil {
		entry, cmd = spec.Entrypoint, nil
	}
	if spec.Cmd != nil {
		cmd = spec.Cmd
	}
	args := append(append([]string{}, entry...), cmd...)
	if len(args) == 0 {
		return Process{}, errdefs.Invalid(fmt.Errorf("image %s has no command and none was given", spec.Image))
	}

	env := mergeEnv(cfg.Env, spec.Env)
	if !hasKey(env, "PATH") {
		env = append([]string{defaultPath}, env...)
	}
	if spec.Tty && !hasKey(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	p := Process{Args: args, Env: env, WorkingDir: cfg.WorkingDir, User: cfg.User}
	if spec.WorkingDir != "" {
		p.WorkingDir = spec.WorkingDir
	}
	if p.WorkingDir == "" {
		p.WorkingDir = "/"
	}
	if !path.IsAbs(p.WorkingDir) {
		return Process{}, errdefs.Invalid(fmt.Errorf("working folder %q is not absolute", p.WorkingDir))
	}
	if spec.User != "" {
		p.User = spec.User
	}
	return p, nil
}

// mergeEnv returns base with each KEY=VALUE of over replacing the same KEY.
func mergeEnv(base, over []string) []string {
	out := append([]string{}, base...)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
