package main

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/stacktest"
	"github.com/crossdock/crossdock/internal/testimage"
	"github.com/crossdock/crossdock/runner/stack"
	"github.com/crossdock/crossdock/snapshotter"
)

// stackappRef names the stackapp index (amd64 and arm/v7) in a test store.
const stackappRef = "crossdock.local/stackapp:test"

// storeStackapp writes the stackapp image (internal/stacktest) for
// linux/amd64 and linux/arm/v7 as one index into the store at root.
func storeStackapp(t *testing.T, root string) {
	t.Helper()
	dir := stacktest.BuildTemp(t)
	idx := mutate.IndexMediaType(empty.Index, "application/vnd.oci.image.index.v1+json")
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm", Variant: "v7"}} {
		layer := testimage.Layer(t, filepath.Join(dir, "layer-"+p.Architecture))
		img, err := mutate.AppendLayers(empty.Image, layer)
		assert.NilError(t, err)
		cf, err := img.ConfigFile()
		assert.NilError(t, err)
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		cf.Config = v1.Config{Env: []string{"PATH=/", "GREETING=hello"}, Entrypoint: []string{"/app"},
			ExposedPorts: map[string]struct{}{"7000/tcp": {}}}
		img, err = mutate.ConfigFile(img, cf)
		assert.NilError(t, err)
		pp := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &pp}})
	}
	s, err := snapshotter.Open(root)
	assert.NilError(t, err)
	_, err = s.WriteIndex(context.Background(), stackappRef, idx)
	assert.NilError(t, err)
}

// layerOf tars a folder into a layer.
const cliStack = `
name: clipair
services:
  server:
    image: ${IMAGE:-crossdock.local/stackapp:test}
    command: [serve, "7000", hello, 1s]
    healthcheck:
      test: [CMD, /app, exists, /tmp/ready]
      interval: 200ms
      retries: 100
  client:
    image: ${IMAGE:-crossdock.local/stackapp:test}
    command: [dial, "server:7000"]
    depends_on:
      server: {condition: service_healthy}
`

// netnsOf lists the stack namespaces bound for the project's record.
func netnsLeft(t *testing.T, id string) []string {
	m, err := filepath.Glob(filepath.Join(stack.NetnsDir, "crossdock-"+id+"*"))
	assert.NilError(t, err)
	return m
}

func TestStackCLI(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeStackapp(t, root)
	file := filepath.Join(t.TempDir(), "compose.yaml")
	assert.NilError(t, os.WriteFile(file, []byte(cliStack), 0o644))

	res := mustRun(t, root, "stack", "up", "-d", "-f", file, "--platform", "linux/amd64")
	assert.Check(t, is.Equal(res.stdout, "clipair\n"))
	t.Cleanup(func() { crossdock(t, root, "stack", "down", "-p", "clipair", "-v") })

	waitFor(t, func() bool {
		res, _ := crossdock(t, root, "stack", "logs", "--file", file, "client")
		return strings.Contains(res.stdout, "client | got hello from server:7000")
	})
	res = mustRun(t, root, "stack", "ps", "-p", "clipair")
	assert.Check(t, is.Contains(res.stdout, "server"))
	assert.Check(t, is.Contains(res.stdout, "running"))
	assert.Check(t, is.Contains(res.stdout, "10.89.0."))

	res = mustRun(t, root, "stack", "exec", "-p", "clipair", "server", "/app", "exists", "/tmp/ready")
	assert.Check(t, is.Equal(res.stdout, "ready\n"))
	res, err := crossdock(t, root, "stack", "exec", "-p", "clipair", "server", "/app", "exit", "7")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 7), "exec passes the exit code through")

	res, err = crossdock(t, root, "stack", "up", "-d", "-f", file)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 2))
	assert.Check(t, is.Contains(res.stderr, `stack "clipair" is already up`))

	data, err := os.ReadFile(filepath.Join(root, "stacks", "clipair.json"))
	assert.NilError(t, err)
	id := between(string(data), `"id": "`, `"`)
	assert.Check(t, is.Len(netnsLeft(t, id), 3))
	mustRun(t, root, "stack", "down", "-f", file, "-v")
	assert.Check(t, is.Len(netnsLeft(t, id), 0))
	res = mustRun(t, root, "ps", "-a", "-q")
	assert.Check(t, is.Equal(res.stdout, ""))
}

func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(after, end)
	return v
}

const cliSuite = `
name: cli
stack: compose.yaml
platforms: [linux/amd64, linux/arm/v7]
timeout_scale: {linux/arm/v7: 4}
tests:
  - name: client reaches server
    steps:
      - wait: {service: client, log: "got hello from server:7000", timeout: 20s}
  - name: greeting
    steps:
      - exec: {service: server, cmd: [/app, exists, /tmp/ready], stdout_contains: %s}
`

// crossdock test runs a suite on both platforms, prints the report,
// writes JUnit and JSON, and exits 1 when a test fails.
func TestTestCLI(t *testing.T) {
	crossdockBinary(t)
	stacktest.NeedPlatform(t, "linux/arm/v7")
	root := cliRoot(t)
	storeStackapp(t, root)
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(cliStack), 0o644))

	for _, tc := range []struct {
		name, expect string
		code         int
	}{{"pass", "ready", 0}, {"fail", "goodbye", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			suite := filepath.Join(dir, tc.name+".yaml")
			assert.NilError(t, os.WriteFile(suite, []byte(strings.Replace(cliSuite, "%s", tc.expect, 1)), 0o644))
			junit := filepath.Join(dir, tc.name+".xml")
			began := time.Now()
			res, err := crossdock(t, root, "test", suite, "--junit", junit, "--json", junit+".json")
			assert.NilError(t, err)
			t.Logf("crossdock test %s: %s\n%s", tc.name, time.Since(began), res.stdout)
			assert.Equal(t, res.code, tc.code, res.stderr)
			assert.Check(t, is.Contains(res.stdout, "linux/amd64"))
			assert.Check(t, is.Contains(res.stdout, "linux/arm/v7"))
			data, err := os.ReadFile(junit)
			assert.NilError(t, err)
			var parsed struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			assert.NilError(t, xml.Unmarshal(data, &parsed))
			assert.Check(t, is.Equal(parsed.Tests, 4))
			if tc.code == 1 {
				assert.Check(t, is.Equal(parsed.Failures, 2))
				assert.Check(t, is.Contains(res.stdout, `expected: stdout contains "goodbye"`))
			}
		})
	}
	res := mustRun(t, root, "ps", "-a", "-q")
	assert.Check(t, is.Equal(res.stdout, ""), "the suite's stacks are gone")
}
