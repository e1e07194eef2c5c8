package debian

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	securejoin "github.com/cyphar/filepath-securejoin"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/testhost"
)

// extract writes what Unpack gives into root, the way a layer would be
// applied: every path resolved with root as a hard boundary, so that no
// symlink in a package can send a write outside it.
func extract(t *testing.T, root string, debs []Deb) {
	t.Helper()
	err := Unpack(debs, func(hdr *tar.Header, r io.Reader) error {
		dir, err := securejoin.SecureJoin(root, filepath.Dir(hdr.Name))
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.Base(hdr.Name))
		if hdr.Typeflag != tar.TypeDir {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.Remove(target); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		mode := os.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			return os.MkdirAll(target, mode|0o700)
		case tar.TypeSymlink:
			return os.Symlink(hdr.Linkname, target)
		case tar.TypeLink:
			src, err := securejoin.SecureJoin(root, hdr.Linkname)
			if err != nil {
				return err
			}
			return os.Link(src, target)
		case tar.TypeReg:
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, r); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			return os.Chmod(target, os.FileMode(hdr.Mode)&07777)
		}
		return nil // devices, fifos: Debian packages ship none
	})
	assert.NilError(t, err)
}

// run runs a program of the host and returns its output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	assert.NilError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

// TestUnpackRootfsWorks unpacks a small amd64 set without the essential
// packages and checks the result with the host's own tools: dpkg sees every
// package installed and every file intact, and, run inside it, /bin/sh,
// the awk alternative, python3 (no .pyc, no ld.so.cache) and the user
// database work.
func TestUnpackRootfsWorks(t *testing.T) {
	debs := fetchDebs(t, "amd64", "dash", "mawk", "python3-minimal", "base-passwd")
	for i, d := range debs {
		// Only what a lockfile keeps: the .debs must say the rest.
		debs[i] = Deb{Path: d.Path, Package: Package{Name: d.Name, Version: d.Version,
			Architecture: d.Architecture, Filename: d.Filename, SHA256: d.SHA256, Size: d.Size}}
	}
	root := t.TempDir()
	extract(t, root, debs)

	testhost.RequireProgram(t, "dpkg-query", "dpkg")
	listed := run(t, "dpkg-query", "--admindir", filepath.Join(root, "var/lib/dpkg"),
		"-W", "-f", "${db:Status-Abbrev} ${Package}\n")
	for _, d := range debs {
		assert.Assert(t, is.Contains(listed, "ii  "+d.Name+"\n"))
	}
	assert.Equal(t, strings.Count(listed, "\n"), len(debs), listed)
	assert.Equal(t, run(t, "dpkg", "--root", root, "--verify"), "")
	files := run(t, "dpkg-query", "--admindir", filepath.Join(root, "var/lib/dpkg"), "-L", "mawk")
	assert.Assert(t, is.Contains(files, "/usr/bin/mawk\n"))
	alt := run(t, "update-alternatives", "--root", root, "--query", "awk")
	assert.Assert(t, is.Contains(alt, "Status: auto\nBest: /usr/bin/mawk\nValue: /usr/bin/mawk\n"), alt)
	assert.Assert(t, is.Contains(alt, "\n nawk /usr/bin/nawk\n"), alt)

	testhost.RequireRoot(t)
	testhost.RequireProgram(t, "chroot", "coreutils")
	_, err := os.Stat(filepath.Join(root, "etc/ld.so.cache"))
	assert.Assert(t, os.IsNotExist(err), "no ld.so.cache is written")
	out := run(t, "chroot", root, "/bin/sh", "-c",
		`echo 6 7 | awk '{print $1*$2}'; python3 -c 'import pwd; print(pwd.getpwuid(0).pw_name)'`)
	assert.Equal(t, out, "42\nroot\n")
}

// TestUnpackRootfsWorksArmhf does the same for armhf under qemu-user: the
// loader finds libc in /lib/arm-linux-gnueabihf without ldconfig.
func TestUnpackRootfsWorksArmhf(t *testing.T) {
	debs := fetchDebs(t, "armhf", "dash", "mawk")
	root := t.TempDir()
	extract(t, root, debs)

	testhost.NeedHandler(t, "arm")
	testhost.RequireProgram(t, "chroot", "coreutils")
	out := run(t, "chroot", root, "/bin/sh", "-c", `echo 6 7 | awk '{print $1*$2}'`)
	assert.Equal(t, out, "42\n")
}
