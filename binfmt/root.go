package binfmt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// The two control files every binfmt_misc folder has.
const (
	registerFile = "register"
	statusFile   = "status"
)

// mountHint is how to mount binfmt_misc by hand.
const mountHint = "mount -t binfmt_misc binfmt_misc " + DefaultRoot

// checkMounted returns an error wrapping ErrNotMounted unless root holds
// binfmt_misc's register and status files.
func (o options) checkMounted() error {
	for _, f := range []string{registerFile, statusFile} {
		if _, err := os.Stat(filepath.Join(o.root, f)); err != nil {
			return errdefs.Host(fmt.Errorf("%s: %w (run: %s)", o.root, ErrNotMounted, mountHint))
		}
	}
	return nil
}

// globallyEnabled reads root/status ("enabled" or "disabled").
func (o options) globallyEnabled() (bool, error) {
	b, err := os.ReadFile(filepath.Join(o.root, statusFile))
	if err != nil {
		return false, fmt.Errorf("binfmt_misc status: %w", err)
	}
	return strings.TrimSpace(string(b)) == "enabled", nil
}

// checkEnabled returns an error wrapping ErrDisabled when binfmt_misc as
// a whole is disabled: the kernel then runs no handler at all.
func (o options) checkEnabled() error {
	on, err := o.globallyEnabled()
	if err != nil {
		return err
	}
	if !on {
		return errdefs.Host(fmt.Errorf("%s: %w: binfmt_misc is disabled as a whole (run: %s)",
			o.root, ErrDisabled, o.enableHint()))
	}
	return nil
}

func (o options) enableHint() string { return "echo 1 > " + filepath.Join(o.root, statusFile) }

// readEntry reads one entry. A missing entry gives an error wrapping
// fs.ErrNotExist.
func (o options) readEntry(name string) (Entry, error) {
	b, err := os.ReadFile(filepath.Join(o.root, name))
	if err != nil {
		return Entry{}, fmt.Errorf("binfmt_misc entry %s: %w", name, err)
	}
	return ParseEntry(name, b)
}

// readEntries reads every entry in root, sorted by name.
func (o options) readEntries() ([]Entry, error) {
	des, err := os.ReadDir(o.root)
	if err != nil {
		return nil, fmt.Errorf("list binfmt_misc: %w", err)
	}
	var entries []Entry
	for _, de := range des {
		if de.Name() == registerFile || de.Name() == statusFile || de.IsDir() {
			continue
		}
		e, err := o.readEntry(de.Name())
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while we listed
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, nil
}

// write sends data to a binfmt_misc control file in one write(2), as the
// kernel parses each write on its own. The file must exist: binfmt_misc
// never lets a write create one. Permission denied is marked as a host
// requirement: only root may write there.
func (o options) write(name, data string) error {
	path := filepath.Join(o.root, name)
	err := writeOnce(path, data)
	if err == nil && o.kernel != nil {
		err = o.kernel(path, []byte(data))
	}
	if errors.Is(err, fs.ErrPermission) {
		return errdefs.Host(fmt.Errorf("write %s: %w (binfmt_misc is root's: run as root)", path, err))
	}
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", data, path, err)
	}
	if o.writeLog != nil {
		o.writeLog(path, data)
	}
	return nil
}

func writeOnce(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
