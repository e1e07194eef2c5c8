package snapshotter

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/crossdock/crossdock/internal/testhost"
)

// startEmbedded serves the embedded registry from a temp folder on a free
// loopback port and returns its address.
func startEmbedded(t *testing.T) string {
	t.Helper()
	addr, stop, err := ServeRegistry(context.Background(), "127.0.0.1:0", t.TempDir())
	assert.NilError(t, err)
	t.Cleanup(stop)
	return addr
}

// startDistribution runs Debian's docker-registry (distribution 2.x) with
// filesystem storage in a temp folder on a free loopback port.
func startDistribution(t *testing.T) string {
	t.Helper()
	testhost.RequireProgram(t, "docker-registry", "docker-registry")
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	assert.NilError(t, os.WriteFile(cfgPath, []byte(cfg), 0o644))

	logPath := filepath.Join(dir, "registry.log")
	logf, err := os.Create(logPath)
	assert.NilError(t, err)
	cmd := exec.Command("docker-registry", "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	assert.NilError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("docker-registry log:\n%s", log)
		}
	})
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if answers(addr) {
			return poll.Success()
		}
		return poll.Continue("docker-registry not listening on %s yet", addr)
	}, poll.WithTimeout(15*time.Second), poll.WithDelay(50*time.Millisecond))
	return addr
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// twoPlatformIndex is an index of two random images (linux/amd64 and
// linux/arm/v7, platforms recorded in the index and the configs).
func twoPlatformIndex(t *testing.T, size int64, layers int) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for _, p := range []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm", Variant: "v7"},
	} {
		img, err := random.Image(size, int64(layers))
		assert.NilError(t, err)
		cf, err := img.ConfigFile()
		assert.NilError(t, err)
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		img, err = mutate.ConfigFile(img, cf)
		assert.NilError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &p}})
	}
	return idx
}

// openTemp opens a store in a temp folder that never starts a registry.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), WithoutAutoServe())
	assert.NilError(t, err)
	return s
}

// digests lists every digest an index reaches: the index, its manifests,
// their configs and layers.
func digests(t *testing.T, idx v1.ImageIndex) []string {
	t.Helper()
	h, err := idx.Digest()
	assert.NilError(t, err)
	out := []string{"index " + h.String()}
	im, err := idx.IndexManifest()
	assert.NilError(t, err)
	for _, d := range im.Manifests {
		out = append(out, "manifest "+d.Digest.String())
		img, err := idx.Image(d.Digest)
		assert.NilError(t, err)
		mf, err := img.Manifest()
		assert.NilError(t, err)
		out = append(out, "config "+mf.Config.Digest.String())
		for _, l := range mf.Layers {
			out = append(out, "layer "+l.Digest.String())
		}
	}
	return out
}
