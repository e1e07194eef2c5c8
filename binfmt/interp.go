package binfmt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// debianPackage ships the static qemu-user interpreters.
const debianPackage = "qemu-user-static"

// findInterpreter returns the absolute path of h's static qemu: the one
// given with WithInterpreter, else the first in the search path. A path
// given that is missing or not a file is bad input (no apt hint: the
// user named it).
func (o options) findInterpreter(h Handler) (string, error) {
	if o.interpreter != "" {
		p, err := filepath.Abs(o.interpreter)
		if err != nil {
			return "", errdefs.Invalid(fmt.Errorf("interpreter %s: %w", o.interpreter, err))
		}
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return "", errdefs.Invalid(fmt.Errorf("interpreter %s: %w: no such file", p, ErrNoInterpreter))
		}
		if err != nil {
			return "", errdefs.Invalid(fmt.Errorf("interpreter %s: %w", p, err))
		}
		if !fi.Mode().IsRegular() {
			return "", errdefs.Invalid(fmt.Errorf("interpreter %s: not a regular file (%s)", p, fi.Mode().Type()))
		}
		return p, nil
	}
	for _, dir := range o.searchPath {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, h.Program())
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return filepath.Abs(p)
		}
	}
	return "", errdefs.Host(fmt.Errorf("%w: %s is not in %s (apt-get install %s)",
		ErrNoInterpreter, h.Program(), strings.Join(o.searchPath, ":"), debianPackage))
}

// checkFixable refuses an interpreter that can't run h's binaries with
// flag F: F makes the kernel open the file once and start it inside every
// mount namespace, so it must exist, be a program of this host's own
// architecture, must not need a dynamic loader from the host, and, if it
// is a qemu-ARCH, must be h's.
func (o options) checkFixable(path string, h Handler) error {
	if strings.ContainsAny(path, ":\n") {
		return errdefs.Invalid(fmt.Errorf("interpreter %q: binfmt_misc can't register a path with ':' or a newline", path))
	}
	info, err := IdentifyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errdefs.Host(fmt.Errorf("interpreter %s: %w (apt-get install %s)", path, ErrNoInterpreter, debianPackage))
	}
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("interpreter %s: %w", path, err))
	}
	if err := o.checkInterpreter(path, info, h); err != nil {
		return errdefs.Invalid(err)
	}
	if !info.Static() {
		return errdefs.Host(fmt.Errorf("interpreter %s: %w (loader %s), so it can't run inside containers with flag F; use %s's static build",
			path, ErrDynamicInterpreter, info.Interpreter, debianPackage))
	}
	return nil
}

// checkInterpreter says why an interpreter, identified as info, can't run
// h's binaries on this host: it is not a program of the host's own
// architecture, or it is a qemu-user for another target.
func (o options) checkInterpreter(path string, info ELFInfo, h Handler) error {
	ih, ok := handlerForELF(info)
	if !ok || !native(ih, o.hostMachine) || osName(info.OSABI) != "linux" {
		return fmt.Errorf("%w: interpreter %s is a %s program, which this %s host does not run natively",
			ErrWrongInterpreter, path, info.Platform(), o.hostMachine)
	}
	if target, ok := qemuTarget(path); ok && target.Arch != h.Arch {
		return fmt.Errorf("%w: interpreter %s runs %s binaries, not %s (%s)",
			ErrWrongInterpreter, path, target.Platform, h.Platform, h.Program())
	}
	return nil
}

// qemuTarget reads the target from a qemu-user file name such as
// qemu-aarch64-static or qemu-arm.
func qemuTarget(path string) (Handler, bool) {
	base := strings.TrimSuffix(filepath.Base(path), "-static")
	arch, ok := strings.CutPrefix(base, "qemu-")
	if !ok {
		return Handler{}, false
	}
	for _, h := range handlers {
		if h.Arch == arch {
			return h, true
		}
	}
	return Handler{}, false
}
