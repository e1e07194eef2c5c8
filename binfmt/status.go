package binfmt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Status is the state of binfmt_misc as `crossdock binfmt status` shows it.
type Status struct {
	Root    string `json:"root"`
	Mounted bool   `json:"mounted"`
	Enabled bool   `json:"enabled"` // binfmt_misc as a whole
	// Handlers are all registered entries, sorted by name.
	Handlers []HandlerStatus `json:"handlers"`
}

// HandlerStatus is one registered entry, with what crossdock knows of it.
type HandlerStatus struct {
	Entry
	// Platform is the OCI platform of the table handler whose magic and
	// mask the entry accepts; empty for an entry that runs none, and for
	// an entry keyed on a file name extension.
	Platform string `json:"platform,omitempty"`
	// DropIn is crossdock's systemd-binfmt drop-in for it, if present.
	DropIn string `json:"drop_in,omitempty"`
	// InterpreterMissing is set when the interpreter file is gone.
	InterpreterMissing bool `json:"interpreter_missing,omitempty"`
}

// ReadStatus reads every entry in binfmt_misc.
//
// TODO: drop-ins of other packages (Debian's /usr/lib/binfmt.d/qemu-*.conf)
// are not shown; a user sees DROP-IN "-" for a handler systemd-binfmt will
// still register at boot from one of those. An unmounted binfmt_misc is
// not an error: Mounted is false and there are no handlers.
func ReadStatus(opts ...Option) (Status, error) {
	o := newOptions(opts)
	st := Status{Root: o.root, Handlers: []HandlerStatus{}}
	if err := o.checkMounted(); err != nil {
		return st, nil
	}
	st.Mounted = true

	var err error
	if st.Enabled, err = o.globallyEnabled(); err != nil {
		return st, err
	}
	entries, err := o.readEntries()
	if err != nil {
		return st, err
	}
	for _, e := range entries {
		hs := HandlerStatus{Entry: e}
		for _, h := range handlers {
			if e.Extension == "" && len(e.Mismatch(h.Magic())) == 0 {
				hs.Platform = h.Platform.String()
				if drop := filepath.Join(o.persistDir, DropInName(h)); e.Name == h.Name() && exists(drop) {
					hs.DropIn = drop
				}
				break
			}
		}
		if _, err := os.Stat(e.Interpreter); errors.Is(err, fs.ErrNotExist) {
			hs.InterpreterMissing = true
		}
		st.Handlers = append(st.Handlers, hs)
	}
	return st, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// String is a one-line summary of binfmt_misc's state.
func (s Status) String() string {
	if !s.Mounted {
		return fmt.Sprintf("binfmt_misc is not mounted at %s", s.Root)
	}
	state, plural := "enabled", "s"
	if !s.Enabled {
		state = "disabled"
	}
	if len(s.Handlers) == 1 {
		plural = ""
	}
	return fmt.Sprintf("binfmt_misc at %s is %s, %d handler%s", s.Root, state, len(s.Handlers), plural)
}
