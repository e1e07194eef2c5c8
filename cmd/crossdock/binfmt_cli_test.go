package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/binfmt"
)

// Bad input is exit 2 and names the input; a host that lacks binfmt_misc
// is exit 3.
func TestBinfmtCLIBadInput(t *testing.T) {
	needQemu(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	assert.NilError(t, os.WriteFile(file, nil, 0o644))
	cases := []struct {
		name       string
		args       []string
		code       int
		err, notIn string
	}{
		{"doctor a folder", []string{"doctor", dir}, 2, dir + ": not a regular file (a folder)", ""},
		{"interpreter is a folder", []string{"install", "--arch", "arm", "--interpreter", "/usr/bin",
			"--binfmt-root", fakeBinfmt(t, "")}, 2, "interpreter /usr/bin: not a regular file", ""},
		{"interpreter missing", []string{"install", "--arch", "arm", "--interpreter", "/usr/bin/qemu-arm-nope",
			"--binfmt-root", fakeBinfmt(t, "")}, 2, "interpreter /usr/bin/qemu-arm-nope", "apt-get"},
		{"interpreter empty", []string{"install", "--arch", "arm", "--interpreter", ""}, 2, "--interpreter: empty path", ""},
		{"interpreter is an ARM program", []string{"install", "--arch", "arm", "--interpreter", armFile(t),
			"--binfmt-root", fakeBinfmt(t, "")}, 2, "is a linux/arm/v7 program", ""},
		{"drop-in folder is a file", []string{"install", "--arch", "arm", "--interpreter", qemuARM, "--persist",
			"--binfmt-d", file, "--binfmt-root", fakeBinfmt(t, "")}, 2, "drop-in folder " + file + ": not a folder", ""},
		{"empty --binfmt-d", []string{"install", "--binfmt-d", ""}, 2, "--binfmt-d: empty path", ""},
		{"empty --binfmt-root", []string{"status", "--binfmt-root", ""}, 2, "--binfmt-root: empty path", ""},
		{"extra argument", []string{"status", "extra"}, 2, `binfmt status takes no arguments, got "extra"`, ""},
		{"bad variant", []string{"doctor", "--platform", "linux/amd64/v9"}, 2, `"linux/amd64/v9"`, ""},
		{"uninstall, not mounted", []string{"uninstall", "--arch", "arm", "--binfmt-root", dir,
			"--binfmt-d", t.TempDir()}, 3, "binfmt_misc is not mounted", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"binfmt"}, tc.args...)...)
			assert.Equal(t, code, tc.code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Check(t, is.Contains(errOut, tc.err))
			if tc.notIn != "" {
				assert.Check(t, !strings.Contains(errOut, tc.notIn), errOut)
			}
		})
	}
}

func TestBinfmtDoctorJSONKeepsAmpersands(t *testing.T) {
	code, out, _ := runCLI(t, "binfmt", "doctor", "--json", "--platform", "linux/arm/v7", "--binfmt-root", t.TempDir())
	assert.Equal(t, code, 3)
	assert.Check(t, is.Contains(out, " && crossdock binfmt install --arch arm"))
	var d binfmt.Diagnosis
	assert.NilError(t, json.Unmarshal([]byte(out), &d))
}

// Every arch is tried; the failures are listed, with the worst exit code.
func TestBinfmtInstallEveryArch(t *testing.T) {
	needQemu(t)
	root := fakeBinfmt(t, "OC") // qemu-arm: a conflict
	code, out, errOut := runCLI(t, "binfmt", "install", "--arch", "arm,amd64,sparc64", "--binfmt-root", root)
	assert.Equal(t, code, 2, "sparc64 fails parsing first: %s", errOut)

	code, out, errOut = runCLI(t, "binfmt", "install", "--arch", "arm,amd64", "--binfmt-root", root)
	assert.Equal(t, code, 3, "stdout: %s\nstderr: %s", out, errOut)
	assert.Check(t, is.Contains(out, "qemu-x86_64: skipped"), "the arch after the failure is tried")
	assert.Check(t, is.Contains(errOut, "binfmt install: 1 of 2 failed:\n  qemu-arm: handler qemu-arm: a different binfmt handler"))
}

// --debug logs each write to binfmt_misc.
func TestBinfmtDebugLogsWrites(t *testing.T) {
	needQemu(t)
	root := fakeBinfmt(t, "POCF")
	code, out, errOut := runCLI(t, "--debug", "binfmt", "uninstall", "--arch", "armv7l", "--binfmt-root", root,
		"--binfmt-d", t.TempDir())
	assert.Equal(t, code, 0, "stdout: %s\nstderr: %s", out, errOut)
	assert.Check(t, is.Contains(out, "qemu-arm: removed"))
	assert.Check(t, is.Contains(errOut, `msg="binfmt_misc write" file=`+filepath.Join(root, "qemu-arm")+" data=-1"))
}

// tools/main-job's build step makes a static crossdock (the runner
// bind-mounts it as each container's init), and --help prints its usage.
func TestBinfmtMainJob(t *testing.T) {
	script, err := filepath.Abs("../../tools/main-job")
	assert.NilError(t, err)
	out, err := exec.Command("bash", script, "--help").CombinedOutput()
	assert.NilError(t, err, "%s", out)
	assert.Check(t, is.Contains(string(out), "usage: tools/main-job [STEP...]"))
	assert.Check(t, is.Contains(string(out), "steps: setup build binfmt arm ros"))

	bin := filepath.Join(t.TempDir(), "crossdock")
	cmd := exec.Command("bash", script, "build")
	cmd.Env = append(os.Environ(), "CROSSDOCK_BIN="+bin, "CGO_ENABLED=1")
	out, err = cmd.CombinedOutput()
	assert.NilError(t, err, "%s", out)
	info, err := binfmt.IdentifyFile(bin)
	assert.NilError(t, err)
	assert.Check(t, info.Static(), "bin/crossdock needs loader %s", info.Interpreter)
}

func TestBinfmtHelp(t *testing.T) {
	code, out, errOut := runCLI(t, "binfmt", "help")
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Contains(out, "subcommands:\n  install"))
}
