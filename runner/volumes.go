package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// Volume is a named volume: a host folder that outlives containers.
type Volume struct {
	Name       string            `json:"name"`
	Mountpoint string            `json:"mountpoint"` // the host folder mounted into containers
	Created    time.Time         `json:"created"`
	Labels     map[string]string `json:"labels,omitempty"`
	// Seeded is set once the volume was filled from an image's content at
	// the path it was first mounted on, as Docker does for a new volume.
	Seeded bool `json:"seeded,omitempty"`
}

func (r *Runtime) volumePath(name string) string { return filepath.Join(r.volumesDir(), name) }

// CreateVolume creates a named volume, or returns the existing one.
func (r *Runtime) CreateVolume(ctx context.Context, name string, labels map[string]string) (Volume, error) {
	if err := checkName("volume", name); err != nil {
		return Volume{}, err
	}
	l, err := r.lock(ctx)
	if err != nil {
		return Volume{}, err
	}
	defer l.Unlock()
	return r.createVolume(name, labels)
}

func (r *Runtime) createVolume(name string, labels map[string]string) (Volume, error) {
	if v, err := r.readVolume(name); err == nil {
		return v, nil
	}
	v := Volume{Name: name, Mountpoint: filepath.Join(r.volumePath(name), "_data"),
		Created: time.Now().UTC(), Labels: labels}
	if err := os.MkdirAll(v.Mountpoint, 0o755); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	return v, r.writeVolume(v)
}

func (r *Runtime) writeVolume(v Volume) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(r.volumePath(v.Name), "volume.json"), b, 0o600)
}

func (r *Runtime) readVolume(name string) (Volume, error) {
	var v Volume
	b, err := os.ReadFile(filepath.Join(r.volumePath(name), "volume.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return v, errdefs.NotFound(fmt.Errorf("no such volume: %s", name))
	}
	if err != nil {
		return v, fmt.Errorf("volume %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("volume %s: %w", name, err)
	}
	return v, nil
}

// InspectVolume returns one volume.
func (r *Runtime) InspectVolume(ctx context.Context, name string) (Volume, error) {
	return r.readVolume(name)
}

// Volumes lists the named volumes by name.
func (r *Runtime) Volumes(ctx context.Context) ([]Volume, error) {
	ents, err := os.ReadDir(r.volumesDir())
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var out []Volume
	for _, e := range ents {
		if v, err := r.readVolume(e.Name()); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// RemoveVolume deletes a volume and its data. It fails, naming the
// container, while any container (running or not) refers to it.
func (r *Runtime) RemoveVolume(ctx context.Context, name string) error {
	l, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if _, err := r.readVolume(name); err != nil {
		return err
	}
	list, err := r.all()
	if err != nil {
		return err
	}
	for _, st := range list {
		for _, m := range st.Spec.Mounts {
			if m.Type == "volume" && m.Source == name {
				return errdefs.Invalid(fmt.Errorf("volume %s is in use by container %s", name, st.Name))
			}
		}
	}
	if err := os.RemoveAll(r.volumePath(name)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}
