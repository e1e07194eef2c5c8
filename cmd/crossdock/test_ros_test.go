package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/builder/debian"
	"github.com/crossdock/crossdock/internal/testhost"
)

// needMirror skips the test when the Debian mirror the host's apt names
// does not answer: the ROS image is built from its packages.
func needMirror(t *testing.T) {
	t.Helper()
	a, err := debian.HostArchive()
	if err != nil {
		t.Skipf("no Debian mirror in the host's apt sources: %v", err)
	}
	url := strings.TrimSuffix(a.Mirror, "/") + "/dists/" + a.Suite + "/Release"
	c := http.Client{Timeout: 15 * time.Second}
	resp, err := c.Head(url)
	if err != nil {
		t.Skipf("the Debian mirror is unreachable (%s): %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("the Debian mirror answers %s for %s", resp.Status, url)
	}
}

// The main job, as the README's first command runs it: build the ROS
// example for arm/v7 and amd64, ship it through an embedded registry, and
// run its suite on both platforms (arm/v7 under qemu-user).
func TestMainJobROS(t *testing.T) {
	crossdockBinary(t)
	testhost.NeedHandler(t, "linux/arm/v7")
	needMirror(t)
	root := cliRoot(t)
	junit := filepath.Join(t.TempDir(), "ros.xml")

	began := time.Now()
	res, err := crossdock(t, root, "test", "../../examples/ros", "--junit", junit)
	assert.NilError(t, err)
	t.Logf("crossdock test examples/ros (%s):\n%s", time.Since(began).Round(time.Second), res.stdout)
	assert.Equal(t, res.code, 0, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	assert.Check(t, is.Contains(res.stdout, "PASS: 5 tests on linux/arm/v7, linux/amd64"))
}
