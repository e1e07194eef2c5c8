package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/binfmt"
)

const qemuARM = "/usr/bin/qemu-arm-static"

// fakeBinfmt makes a folder that looks like binfmt_misc, with a qemu-arm
// entry holding flags (none if flags is "").
func fakeBinfmt(t *testing.T, flags string) string {
	t.Helper()
	root := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(root, "register"), nil, 0o200))
	assert.NilError(t, os.WriteFile(filepath.Join(root, "status"), []byte("enabled\n"), 0o644))
	if flags != "" {
		entry := "enabled\ninterpreter " + qemuARM + "\nflags: " + flags + "\noffset 0\n" +
			"magic 7f454c4601010100000000000000000002002800\n" +
			"mask ffffffffffffff00fffffffffffffffffeffffff\n"
		assert.NilError(t, os.WriteFile(filepath.Join(root, "qemu-arm"), []byte(entry), 0o644))
	}
	return root
}

// armFile writes the 52-byte header of an ARM executable: enough for the
// doctor, which only reads headers.
func armFile(t *testing.T) string {
	b := make([]byte, 52)
	copy(b, "\x7fELF\x01\x01\x01")
	binary.LittleEndian.PutUint16(b[16:], 2)  // ET_EXEC
	binary.LittleEndian.PutUint16(b[18:], 40) // EM_ARM
	binary.LittleEndian.PutUint32(b[20:], 1)
	binary.LittleEndian.PutUint16(b[40:], 52)
	p := filepath.Join(t.TempDir(), "hello-arm")
	assert.NilError(t, os.WriteFile(p, b, 0o755))
	return p
}

func needQemu(t *testing.T) {
	if _, err := os.Stat(qemuARM); err != nil {
		t.Skip("needs qemu-user-static (.ci/setup installs it)")
	}
}

func TestBinfmtStatusJSON(t *testing.T) {
	needQemu(t)
	root := fakeBinfmt(t, "POCF")
	code, out, errOut := runCLI(t, "binfmt", "status", "--json", "--binfmt-root", root,
		"--binfmt-d", t.TempDir())
	assert.Equal(t, code, 0, errOut)

	var st binfmt.Status
	assert.NilError(t, json.Unmarshal([]byte(out), &st), out)
	assert.Check(t, st.Mounted && st.Enabled)
	assert.Equal(t, len(st.Handlers), 1)
	h := st.Handlers[0]
	assert.Equal(t, h.Name, "qemu-arm")
	assert.Equal(t, h.Interpreter, qemuARM)
	assert.Equal(t, h.Flags, "POCF")
	assert.Equal(t, h.Platform, "linux/arm/v7")
	assert.Check(t, is.Contains(out, `"magic": "7f454c4601010100000000000000000002002800"`))

	code, out, _ = runCLI(t, "binfmt", "status", "--binfmt-root", root)
	assert.Equal(t, code, 0)
	assert.Check(t, is.Contains(out, "qemu-arm  enabled  POCF   linux/arm/v7  "+qemuARM))

	code, out, _ = runCLI(t, "binfmt", "status", "--json", "--binfmt-root", t.TempDir())
	assert.Equal(t, code, 0)
	assert.Check(t, is.Contains(out, `"mounted": false`))
}

func TestBinfmtDoctorExitCodes(t *testing.T) {
	needQemu(t)
	script := filepath.Join(t.TempDir(), "run.sh")
	assert.NilError(t, os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755))
	arm := armFile(t)

	cases := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"runs", []string{arm, "--binfmt-root", fakeBinfmt(t, "POCF")}, 0,
			"runs here: handler qemu-arm runs it with " + qemuARM, ""},
		{"no P: runs, warns", []string{arm, "--binfmt-root", fakeBinfmt(t, "OCF")}, 0,
			"warning: handler qemu-arm lacks flag P", ""},
		{"platform", []string{"--platform", "linux/arm/v7", "--binfmt-root", fakeBinfmt(t, "POCF")}, 0,
			"linux/arm/v7: runs here", ""},
		{"native", []string{"--platform", "linux/amd64", "--binfmt-root", t.TempDir()}, 0,
			"natively", ""},
		{"no handler", []string{arm, "--binfmt-root", fakeBinfmt(t, "")}, 3,
			"will not run here: no binfmt_misc handler for qemu-arm is registered\nfix: crossdock binfmt install --arch arm\n", ""},
		{"no F", []string{"--platform", "linux/arm", "--binfmt-root", fakeBinfmt(t, "POC")}, 3,
			"lacks flag F", ""},
		{"not mounted", []string{"--platform", "linux/arm/v7", "--binfmt-root", t.TempDir()}, 3,
			"binfmt_misc is not mounted", ""},
		{"not ELF", []string{script, "--binfmt-root", t.TempDir()}, 2, "", script + ": not an ELF file"},
		{"missing file", []string{"/nonexistent/prog"}, 2, "", "/nonexistent/prog"},
		{"bad platform", []string{"--platform", "linux/sparc64"}, 2, "", `"linux/sparc64"`},
		{"no argument", nil, 2, "", "one FILE or --platform"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "native" && runtime.GOARCH != "amd64" {
				t.Skip("the native case is written for an amd64 host")
			}
			code, out, errOut := runCLI(t, append([]string{"binfmt", "doctor"}, tc.args...)...)
			assert.Equal(t, code, tc.code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Check(t, is.Contains(out, tc.out))
			assert.Check(t, is.Contains(errOut, tc.err))
		})
	}
}

func TestBinfmtInstallErrors(t *testing.T) {
	needQemu(t)
	conflict := fakeBinfmt(t, "OC")
	arm, err := binfmt.HandlerFor("arm")
	assert.NilError(t, err)
	want, err := binfmt.Want(arm, binfmt.WithInterpreter(qemuARM))
	assert.NilError(t, err)
	cases := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"unknown arch", []string{"--arch", "sparc"}, 2, "", `"sparc": no qemu-user handler`},
		{"interpreter with two arches", []string{"--arch", "arm,aarch64", "--interpreter", qemuARM}, 2,
			"", "--interpreter needs exactly one --arch"},
		{"dynamic interpreter", []string{"--arch", "arm", "--interpreter", "/bin/ls",
			"--binfmt-root", fakeBinfmt(t, "")}, 3, "", "interpreter /bin/ls: interpreter is dynamically linked"},
		{"missing interpreter", []string{"--arch", "arm", "--interpreter", "/nonexistent/qemu-arm-static",
			"--binfmt-root", fakeBinfmt(t, "")}, 2, "", "/nonexistent/qemu-arm-static"},
		{"not mounted", []string{"--arch", "arm", "--binfmt-root", t.TempDir()}, 3, "", "not mounted"},
		{"conflict", []string{"--arch", "arm", "--interpreter", qemuARM, "--binfmt-root", conflict}, 3,
			"", `flags "OC"`},
		{"identical", []string{"--arch", "arm", "--interpreter", qemuARM, "--binfmt-root", fakeBinfmt(t, want.Flags)}, 0,
			"qemu-arm: unchanged: " + qemuARM + ", flags " + want.Flags, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"binfmt", "install"}, tc.args...)...)
			assert.Equal(t, code, tc.code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Check(t, is.Contains(out, tc.out))
			assert.Check(t, is.Contains(errOut, tc.err))
		})
	}
	b, err := os.ReadFile(filepath.Join(conflict, "register"))
	assert.NilError(t, err)
	assert.Equal(t, string(b), "", "a conflict writes nothing")
}

func TestBinfmtInstallSkipsNative(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("written for an amd64 host")
	}
	code, out, errOut := runCLI(t, "binfmt", "install", "--arch", "amd64,386", "--binfmt-root", t.TempDir())
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(out, "qemu-x86_64: skipped: this host runs linux/amd64 natively"))
	assert.Check(t, is.Contains(out, "qemu-i386: skipped"))
}
