package main

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// Bad references say what is wrong; the short digest images prints works
// in tag, inspect and rmi.
func TestReferenceMessagesAndShortDigests(t *testing.T) {
	root, h := storeWithIndex(t, "owner/robot:v1")
	short := h.String()[:len("sha256:")+12]
	bad := []struct {
		args []string
		err  string
	}{
		{[]string{"pull", ""}, "image reference is empty"},
		{[]string{"tag", "owner/robot:v1", "Tester/Junk"}, "must be lowercase"},
		{[]string{"tag", "owner/robot:v1", "tester//hello"}, "empty path component"},
		{[]string{"inspect", "owner/Robot:v1"}, "must be lowercase"},
	}
	for _, tc := range bad {
		code, _, errOut := runCLI(t, append(tc.args, "--root", root)...)
		assert.Check(t, is.Equal(code, 2), "%v: %s", tc.args, errOut)
		assert.Check(t, is.Contains(errOut, tc.err), "%v", tc.args)
	}

	for _, ref := range []string{short, h.Hex[:12]} {
		code, _, errOut := runCLI(t, "tag", ref, "owner/robot:short", "--root", root)
		assert.Check(t, is.Equal(code, 0), "tag %s: %s", ref, errOut)
		code, out, errOut := runCLI(t, "inspect", ref, "--root", root)
		assert.Check(t, is.Equal(code, 0), "inspect %s: %s", ref, errOut)
		assert.Check(t, is.Contains(out, h.String()))
	}
	code, out, errOut := runCLI(t, "rmi", short, "--root", root)
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(out, "/owner/robot:v1"))
	assert.Check(t, is.Contains(out, "/owner/robot:short"))
}
