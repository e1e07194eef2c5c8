package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A named volume is created on first use, seeded from the image, written
// by one container and read by the next; it outlives both until removed.
func TestNamedVolume(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	img := probeRootfs(t, "linux/amd64")
	vol := []Mount{{Type: "volume", Source: "robotdata", Target: "/data"}}

	code, _, errOut := runProbeImg(t, r, img, Spec{Cmd: []string{"write", "/data/map.txt", "42"}, Mounts: vol})
	assert.Equal(t, code, 0, errOut)
	code, out, errOut := runProbeImg(t, r, img, Spec{Cmd: []string{"cat", "/data/map.txt"}, Mounts: vol})
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Equal(out, "42"))
	_, out, _ = runProbeImg(t, r, img, Spec{Cmd: []string{"cat", "/data/seed.txt"}, Mounts: vol})
	assert.Check(t, is.Equal(out, "from the image\n"), "seeded from the image")

	vols, err := r.Volumes(ctx)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(vols, 1))
	assert.Check(t, is.Equal(vols[0].Name, "robotdata"))
	b, err := os.ReadFile(filepath.Join(vols[0].Mountpoint, "map.txt"))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(b), "42"))

	assert.NilError(t, r.RemoveVolume(ctx, "robotdata"))
	_, err = r.InspectVolume(ctx, "robotdata")
	assert.Check(t, is.ErrorContains(err, "no such volume: robotdata"))
}

// A volume in use cannot be removed; a bind mount shows the host folder,
// read-only when asked.
func TestBindAndVolumeInUse(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	ctx := context.Background()
	img := probeRootfs(t, "linux/amd64")
	host := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(host, "in.txt"), []byte("from host"), 0o644))

	_, out, _ := runProbeImg(t, r, img, Spec{Cmd: []string{"cat", "/mnt/in.txt"},
		Mounts: []Mount{{Type: "bind", Source: host, Target: "/mnt", ReadOnly: true}}})
	assert.Check(t, is.Equal(out, "from host"))
	code, _, errOut := runProbeImg(t, r, img, Spec{Cmd: []string{"write", "/mnt/x", "y"},
		Mounts: []Mount{{Type: "bind", Source: host, Target: "/mnt", ReadOnly: true}}})
	assert.Check(t, code != 0)
	assert.Check(t, is.Contains(errOut, "read-only file system"))

	st, err := r.CreateFrom(ctx, Spec{Cmd: []string{"exit", "0"},
		Mounts: []Mount{{Type: "volume", Source: "busy", Target: "/data"}}}, img)
	assert.NilError(t, err)
	_, err = r.RunCreated(ctx, st.ID, Stdio{})
	assert.NilError(t, err)
	err = r.RemoveVolume(ctx, "busy")
	assert.Check(t, is.ErrorContains(err, "in use by container "+st.Name))
	assert.NilError(t, r.Remove(ctx, st.ID, false))
	assert.NilError(t, r.RemoveVolume(ctx, "busy"))
}

// runProbeImg is runProbe with an image already made.
func runProbeImg(t *testing.T, r *Runtime, img Image, spec Spec) (int, string, string) {
	t.Helper()
	spec.AutoRemove = true
	st, err := r.CreateFrom(context.Background(), spec, img)
	assert.NilError(t, err)
	var out, errOut bytes.Buffer
	code, err := r.RunCreated(context.Background(), st.ID, Stdio{Stdout: &out, Stderr: &errOut})
	assert.NilError(t, err)
	return code, out.String(), errOut.String()
}
