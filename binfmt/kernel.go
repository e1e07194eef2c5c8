package binfmt

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// uname returns the kernel release and machine, or empty strings.
func uname() (release, machine string) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", ""
	}
	return cstr(u.Release[:]), cstr(u.Machine[:])
}

func cstr(b []byte) string { return string(bytes.TrimRight(b, "\x00")) }

// kernelAtLeast reports whether a release such as "6.1.0-18-amd64" is at
// least major.minor. An unreadable release counts as older.
func kernelAtLeast(release string, major, minor int) bool {
	fields := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(fields) < 2 {
		return false
	}
	maj, err1 := strconv.Atoi(fields[0])
	min, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || (maj == major && min >= minor)
}

// wantedFlags are the flags crossdock registers with:
//   - O and C: qemu gets an open descriptor of the binary and runs it with
//     the binary's own credentials (setuid programs behave as natively);
//   - F: the kernel opens the interpreter once, at registration, so
//     containers run foreign binaries without carrying qemu inside;
//   - P: argv[0] reaches the program as the caller wrote it. Only from
//     Linux 5.12 does the kernel tell qemu (AT_FLAGS) that P is in effect;
//     on older kernels a plain qemu-ARCH-static would take the extra
//     argument for the program, so P is left out there.
//
// TODO: qemu's version is not checked: a qemu-user that predates AT_FLAGS
// support (before 6.0) does not know P is set, so every emulated program
// sees its argv shifted by one (its own name as an extra first argument);
// Debian 12 ships 7.2, which reads AT_FLAGS.
func wantedFlags(release string) string {
	if kernelAtLeast(release, 5, 12) {
		return "POCF"
	}
	return "OCF"
}

// nativeArches maps a host's uname machine to the handler arches its CPU
// runs without emulation.
//
// TODO: every aarch64 host counts as running 32-bit ARM natively; on the
// ARM CPUs without AArch32 (Apple M-series, recent Neoverse) a linux/arm/v7
// image then fails with "exec format error" instead of an install hint.
var nativeArches = map[string][]string{
	"x86_64":  {"x86_64", "i386"},
	"i686":    {"i386"},
	"aarch64": {"aarch64", "arm"},
	"armv7l":  {"arm"},
	"armv8l":  {"arm"},
}

// native reports whether h's binaries run on the host without qemu.
func native(h Handler, machine string) bool {
	arches, ok := nativeArches[machine]
	if !ok {
		return h.Arch == machine
	}
	for _, a := range arches {
		if a == h.Arch {
			return true
		}
	}
	return false
}
