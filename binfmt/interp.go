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
// given with WithInterpreter, else the first in the search path.
func (o options) findInterpreter(h Handler) (string, error) {
	if o.interpreter != "" {
		return filepath.Abs(o.interpreter)
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

// checkFixable refuses an interpreter that flag F can't use: F makes the
// kernel open the file once and start it inside every mount namespace,
// so it must exist and must not need a dynamic loader from the host.
func checkFixable(path string) error {
	if strings.ContainsAny(path, ":\n") {
		return errdefs.Invalid(fmt.Errorf("interpreter %q: binfmt_misc can't register a path with ':' or a newline", path))
	}
	info, err := IdentifyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errdefs.Host(fmt.Errorf("interpreter %s: %w (apt-get install %s)", path, ErrNoInterpreter, debianPackage))
	}
	if err != nil {
		return errdefs.Host(fmt.Errorf("interpreter %s: %w", path, err))
	}
	if !info.Static() {
		return errdefs.Host(fmt.Errorf("interpreter %s: %w (loader %s), so it can't run inside containers with flag F; use %s's static build",
			path, ErrDynamicInterpreter, info.Interpreter, debianPackage))
	}
	return nil
}
