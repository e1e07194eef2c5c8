package binfmt

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// fakeKernel stands in for binfmt_misc on a temporary folder: it holds
// "register" and "status", records every write crossdock makes, and does
// what the kernel would do with it, so that read-backs see the result.
type fakeKernel struct {
	t      *testing.T
	root   string
	writes []string // "FILE: DATA"
	// shown is each entry's text: a write to the entry file replaces
	// what the file holds, so the kernel's state is kept here.
	shown map[string]string
	// reject, if set, gives the error the kernel answers a write with;
	// a rejected write changes nothing.
	reject func(name, data string) error
}

func newFakeKernel(t *testing.T) *fakeKernel {
	k := &fakeKernel{t: t, root: t.TempDir(), shown: map[string]string{}}
	assert.NilError(t, os.WriteFile(filepath.Join(k.root, "register"), nil, 0o200))
	assert.NilError(t, os.WriteFile(filepath.Join(k.root, "status"), []byte("enabled\n"), 0o644))
	return k
}

func (k *fakeKernel) opts(extra ...Option) []Option {
	return append([]Option{WithRoot(k.root), withKernel(k.written),
		WithKernelRelease("6.1.0-18-amd64"), WithHostMachine("x86_64")}, extra...)
}

// entry writes an entry file as the kernel shows it.
func (k *fakeKernel) entry(name string, enabled bool, interp, flags, magic, mask string) {
	state := "enabled"
	if !enabled {
		state = "disabled"
	}
	text := fmt.Sprintf("%s\ninterpreter %s\nflags: %s\noffset 0\nmagic %s\nmask %s\n",
		state, interp, flags, magic, mask)
	k.shown[name] = text
	assert.NilError(k.t, os.WriteFile(filepath.Join(k.root, name), []byte(text), 0o644))
}

func (k *fakeKernel) read(name string) string {
	b, err := os.ReadFile(filepath.Join(k.root, name))
	assert.NilError(k.t, err)
	return string(b)
}

func (k *fakeKernel) written(path string, data []byte) error {
	name := filepath.Base(path)
	if k.reject != nil {
		if err := k.reject(name, string(data)); err != nil {
			if name != "register" {
				assert.NilError(k.t, os.WriteFile(path, []byte(k.shown[name]), 0o644))
			}
			return err
		}
	}
	k.writes = append(k.writes, name+": "+string(data))
	switch {
	case name == "register":
		k.register(string(data))
	case string(data) == "-1":
		delete(k.shown, name)
		assert.NilError(k.t, os.Remove(path))
	case string(data) == "1" || string(data) == "0":
		text := strings.Replace(k.shown[name], "disabled", "enabled", 1)
		if string(data) == "0" {
			text = strings.Replace(text, "enabled", "disabled", 1)
		}
		k.shown[name] = text
		assert.NilError(k.t, os.WriteFile(path, []byte(text), 0o644))
	}
	return nil
}

// register parses :name:M:offset:magic:mask:interpreter:flags the way the
// kernel does and creates the entry file.
func (k *fakeKernel) register(line string) {
	f := strings.Split(line, ":")
	assert.Equal(k.t, len(f), 8, "register line %q", line)
	assert.Equal(k.t, f[0]+f[2], "M", "register line %q", line)
	_, err := strconv.Atoi(f[3])
	assert.NilError(k.t, err)
	_, err = os.Stat(filepath.Join(k.root, f[1]))
	assert.Check(k.t, os.IsNotExist(err), "register %s: the kernel answers EEXIST", f[1])
	k.entry(f[1], true, f[6], normalizeFlags(f[7]), unescape(k.t, f[4]), unescape(k.t, f[5]))
}

// unescape turns \xHH sequences into hex, as the entry file shows them.
func unescape(t *testing.T, s string) string {
	var out []byte
	for len(s) > 0 {
		if strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:4])
			assert.NilError(t, err)
			out, s = append(out, b...), s[4:]
			continue
		}
		out, s = append(out, s[0]), s[1:]
	}
	return hex.EncodeToString(out)
}

// staticQemu returns a folder holding qemu-arm-static, a link to the real
// static interpreter.
func staticQemu(t *testing.T) string {
	const real = "/usr/bin/qemu-arm-static"
	if _, err := os.Stat(real); err != nil {
		t.Skip("needs qemu-user-static (apt-get install qemu-user-static; .ci/setup installs it)")
	}
	dir := t.TempDir()
	assert.NilError(t, os.Symlink(real, filepath.Join(dir, "qemu-arm-static")))
	return dir
}

// The ARM magic and mask as the kernel shows them for the usual handler.
const (
	armMagic = "7f454c4601010100000000000000000002002800"
	armMask  = "ffffffffffffff00fffffffffffffffffeffffff"
)
