package binfmt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// DropInName is the file crossdock writes under /etc/binfmt.d for a
// handler. Files of other names are never written or removed.
//
// TODO: with Debian's qemu-user-static installed too, systemd-binfmt reads
// /usr/lib/binfmt.d/qemu-ARCH.conf after crossdock's file at boot (files are
// taken in name order), and logs "File exists" for Debian's rule; the
// handler crossdock installed is the one in force.
func DropInName(h Handler) string { return "crossdock-" + h.Name() + ".conf" }

// writeDropIn writes the drop-in that makes systemd-binfmt register e at boot.
func (o options) writeDropIn(h Handler, e Entry) (string, error) {
	if err := os.MkdirAll(o.persistDir, 0o755); err != nil {
		return "", fmt.Errorf("persist %s: %w", h.Name(), err)
	}
	path := filepath.Join(o.persistDir, DropInName(h))
	text := "# Written by `crossdock binfmt install`; `crossdock binfmt uninstall` removes it.\n" +
		e.registerLine() + "\n"
	if err := atomicfile.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("persist %s: %w", h.Name(), err)
	}
	return path, nil
}

// checkPersistDir refuses a drop-in folder that is a file, before
// anything is registered.
func (o options) checkPersistDir() error {
	if o.persistDir == "" {
		return errdefs.Invalid(errors.New("drop-in folder: empty path"))
	}
	fi, err := os.Stat(o.persistDir)
	if err == nil && !fi.IsDir() {
		return errdefs.Invalid(fmt.Errorf("drop-in folder %s: not a folder", o.persistDir))
	}
	return nil
}

// removeDropIn removes crossdock's drop-in for h, if there is one, and
// returns its path ("" when there was none).
func (o options) removeDropIn(h Handler) (string, error) {
	path := filepath.Join(o.persistDir, DropInName(h))
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("remove drop-in: %w", err)
	}
	return path, nil
}
