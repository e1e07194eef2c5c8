package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/testhost"
)

// TestROSExample builds examples/ros from its lockfile, unpacks each
// platform's image into a folder and runs roscore, a listener and a talker
// in it (new UTS, network, PID and mount namespaces, chroot): natively for
// amd64, under qemu-user for arm/v7. The listener must print every message.
// It downloads the ROS set and takes minutes, so -short skips it:
//
//	go test ./builder -run TestROSExample -v
func TestROSExample(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads and builds the ROS set (-short)")
	}
	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "unshare", "util-linux")
	s, err := Load("../examples/ros/crossdock.yaml")
	assert.NilError(t, err)
	res, err := Build(context.Background(), s, WithLocked(), WithCacheDir(debianTestCache(t)))
	assert.NilError(t, err)

	im, err := res.Index.IndexManifest()
	assert.NilError(t, err)
	for _, d := range im.Manifests {
		t.Run(d.Platform.String(), func(t *testing.T) {
			if d.Platform.Architecture == "arm" {
				testhost.NeedHandler(t, "arm")
			}
			img, err := res.Index.Image(d.Digest)
			assert.NilError(t, err)
			root := t.TempDir()
			unpackImage(t, img, root)
			cf, err := img.ConfigFile()
			assert.NilError(t, err)
			out := runROS(t, root, cf.Config.Env, 5)
			for i := 1; i <= 5; i++ {
				assert.Check(t, strings.Contains(out, "received: hello "+strconv.Itoa(i)+"\n"), out)
			}
			assert.Check(t, strings.Contains(out, "listener: 5 message(s)"), out)
		})
	}
}

// unpackImage extracts the image's layers in order (no whiteouts: the
// builder writes none).
func unpackImage(t *testing.T, img v1.Image, root string) {
	layers, err := img.Layers()
	assert.NilError(t, err)
	for _, l := range layers {
		rc, err := l.Uncompressed()
		assert.NilError(t, err)
		cmd := exec.Command("tar", "-x", "-C", root, "--exclude=stargz.index.json",
			"--exclude=.prefetch.landmark", "--exclude=.no.prefetch.landmark")
		cmd.Stdin = rc
		out, err := cmd.CombinedOutput()
		rc.Close()
		assert.NilError(t, err, string(out))
	}
}

// runROS runs roscore, then a listener for n messages and a talker of n
// messages, in root, and returns what the listener printed.
func runROS(t *testing.T, root string, env []string, n int) string {
	assert.NilError(t, os.WriteFile(filepath.Join(root, "etc/hosts"),
		[]byte("127.0.0.1 localhost rostest\n"), 0o644))
	script := `set -e
ip link set lo up 2>/dev/null || true
hostname rostest
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
exec chroot "$ROOT" /usr/bin/env -i ` + strings.Join(quoteAll(env), " ") + ` /bin/sh -c '
roscore >/tmp/roscore.log 2>&1 &
for i in $(seq 120); do rostopic list >/dev/null 2>&1 && break; sleep 1; done
listener N >/tmp/listener.log 2>&1 &
L=$!
talker N 10 >/tmp/talker.log 2>&1
wait $L
cat /tmp/listener.log'`
	script = strings.ReplaceAll(script, " N", " "+strconv.Itoa(n))
	cmd := exec.Command("unshare", "--uts", "--net", "--pid", "--fork", "--mount",
		"--propagation", "private", "bash", "-c", script)
	cmd.Env = append(os.Environ(), "ROOT="+root)
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))
	return string(out)
}

func quoteAll(env []string) []string {
	var out []string
	for _, kv := range env {
		out = append(out, "'"+kv+"'")
	}
	return out
}
