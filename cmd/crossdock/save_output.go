package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/atomicfile"
)

// writeOutput sends what fill writes to the save destination out:
//   - "-" streams to stdout;
//   - a path that exists and is not a regular file (a device such as
//     /dev/stdout, a FIFO, a socket, or a symlink to one) is opened and
//     written through, never replaced;
//   - a symlink to a regular file is resolved and its target replaced
//     atomically, so the link stays a link;
//   - anything else (a regular file or nothing) is replaced atomically.
//
// Temporary files that a killed save to the same path left behind
// (.NAME.tmp-*, not locked by a live save) are removed first.
func writeOutput(out string, stdout io.Writer, fill func(w io.Writer) error) error {
	if out == "-" {
		return fill(stdout)
	}
	target := out
	if fi, err := os.Lstat(out); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		resolved, err := filepath.EvalSymlinks(out)
		if err == nil {
			target = resolved
		}
		// A dangling link is written through: opening it creates its target.
	}
	fi, err := os.Stat(target)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		if fi.IsDir() {
			return usageError("save: -o %s is a folder", out)
		}
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if err := fill(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("save: %w", err)
	}
	if target != out {
		if _, lerr := os.Lstat(out); lerr == nil && err != nil {
			// Dangling symlink: write through it.
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return fmt.Errorf("save: %w", err)
			}
			if err := fill(f); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}
	}
	removeStaleTemps(target)
	return atomicfile.Write(target, 0o644, func(w io.Writer) error {
		// Hold a lock on the temporary file while it is written, so a
		// concurrent save to the same path never removes it as stale.
		if f, ok := w.(*os.File); ok {
			if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
				return fmt.Errorf("lock %s: %w", f.Name(), err)
			}
		}
		return fill(w)
	})
}

// removeStaleTemps removes the temporary files of atomic writes to path
// that no live process holds locked: those of a killed save.
func removeStaleTemps(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+".tmp-*"))
	for _, m := range matches {
		f, err := os.Open(m)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			os.Remove(m)
		}
		f.Close()
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
