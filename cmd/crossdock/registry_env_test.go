package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"
)

// A malformed CROSSDOCK_REGISTRY or --addr is bad input (exit 2) naming
// what is wrong, never a DNS lookup; a --dir that is a file likewise.
func TestRegistryAddressValidation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	assert.NilError(t, os.WriteFile(file, nil, 0o644))
	cases := []struct {
		name, env string
		args      []string
		err       string
		root      string
	}{
		{name: "scheme", env: "http://127.0.0.1:5115", args: []string{"pull", "owner/x:v1"}, err: "CROSSDOCK_REGISTRY"},
		{name: "trailing slash", env: "127.0.0.1:5115/", args: []string{"push", "owner/x:v1"}, err: "CROSSDOCK_REGISTRY"},
		{name: "no port", env: "myregistry", args: []string{"pull", "owner/x:v1"}, err: "CROSSDOCK_REGISTRY"},
		{name: "leading space", env: " 127.0.0.1:5115", args: []string{"tag", "a", "b"}, err: "CROSSDOCK_REGISTRY"},
		{name: "serve with bad env", env: "http://x", args: []string{"registry", "serve"}, err: "CROSSDOCK_REGISTRY"},
		{name: "port out of range", args: []string{"registry", "serve", "--addr", "127.0.0.1:99999"}, err: "99999"},
		{name: "garbage addr", args: []string{"registry", "serve", "--addr", "garbage"}, err: "garbage"},
		{name: "root is a file", args: []string{"images"}, root: file, err: file},
		{name: "public addr", args: []string{"registry", "serve", "--addr", "0.0.0.0:0"}, err: "--insecure-public"},
		{name: "dir is a file", args: []string{"registry", "serve", "--addr", "127.0.0.1:0", "--dir", file}, err: file},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CROSSDOCK_REGISTRY", tc.env)
			root := tc.root
			if root == "" {
				root = t.TempDir()
			}
			code, _, errOut := runCLI(t, append(tc.args, "--root", root)...)
			assert.Equal(t, code, 2, errOut)
			assert.Check(t, is.Contains(errOut, tc.err))
		})
	}
}

// registry serve listens where push and pull look: $CROSSDOCK_REGISTRY.
func TestRegistryServeDefaultsToEnv(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("CROSSDOCK_REGISTRY", addr)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"registry", "serve", "--root", t.TempDir()}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if strings.Contains(stderr.String(), "registry listening") {
			return poll.Success()
		}
		return poll.Continue("not listening yet: %s", stderr.String())
	}, poll.WithTimeout(10*time.Second))
	assert.Check(t, is.Contains(stderr.String(), addr))
	cancel()
	assert.NilError(t, <-done)
}
