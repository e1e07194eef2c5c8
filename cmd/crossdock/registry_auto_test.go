package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/crossdock/crossdock/snapshotter"
)

// runParallel starts one crossdock process per argument list and waits
// for them all, returning their combined outputs and errors.
func runParallel(bin string, argv [][]string) ([]string, []error) {
	outs := make([]string, len(argv))
	errs := make([]error, len(argv))
	done := make(chan int)
	for i, args := range argv {
		go func() {
			out, err := exec.Command(bin, args...).CombinedOutput()
			outs[i], errs[i] = string(out), err
			done <- i
		}()
	}
	for range argv {
		<-done
	}
	return outs, errs
}

// With nothing listening at the default registry, four pushes and then
// four pulls running at once all succeed: each talks to the disk registry
// in ROOT/registry in-process, none depends on another's server.
func testParallelAutoRegistry(t *testing.T, bin string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	t.Setenv("CROSSDOCK_REGISTRY", addr)

	const n = 4
	root := t.TempDir()
	s, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
	assert.NilError(t, err)
	want := map[string]string{}
	var push, pull [][]string
	for i := 0; i < n; i++ {
		src, _ := storeWithIndex(t, fmt.Sprintf("owner/par%d:v1", i))
		ref := fmt.Sprintf("owner/par%d:v1", i)
		tar := t.TempDir() + "/img.tar"
		icmd.RunCmd(icmd.Command(bin, "save", "-o", tar, ref, "--root", src)).Assert(t, icmd.Success)
		icmd.RunCmd(icmd.Command(bin, "load", "-i", tar, "--root", root)).Assert(t, icmd.Success)
		idx, err := s.Index(context.Background(), ref)
		assert.NilError(t, err)
		d, err := idx.Digest()
		assert.NilError(t, err)
		want[ref] = d.String()
		push = append(push, []string{"push", ref, "--root", root})
		pull = append(pull, []string{"pull", "--all-platforms", ref, "--root", root})
	}

	outs, errs := runParallel(bin, push)
	for i := range push {
		assert.Check(t, errs[i], "%v: %s", push[i], outs[i])
	}
	for ref := range want {
		_, err := s.Remove(context.Background(), ref)
		assert.NilError(t, err)
	}
	_, err = s.Prune(context.Background())
	assert.NilError(t, err)

	outs, errs = runParallel(bin, pull)
	for i := range pull {
		assert.Check(t, errs[i], "%v: %s", pull[i], outs[i])
	}
	for ref, d := range want {
		idx, err := s.Index(context.Background(), ref)
		if !assert.Check(t, err, ref) {
			continue
		}
		got, _ := idx.Digest()
		assert.Check(t, is.Equal(got.String(), d), ref)
	}
	icmd.RunCmd(icmd.Command(bin, "store", "verify", "--root", root)).Assert(t, icmd.Success)
}
