package runner

import (
	"fmt"
	"io"
	"os"

	"github.com/containerd/console"
	gorunc "github.com/containerd/go-runc"
)

// terminal is a container's pseudo-terminal: runc sends its master over a
// console socket, and the watcher copies it to the log and the caller.
type terminal struct {
	socket *gorunc.Socket
	master chan console.Console
	pty    console.Console
	host   console.Console // the caller's terminal in raw mode, if any
}

func newTerminal() (*terminal, error) {
	s, err := gorunc.NewTempConsoleSocket()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	t := &terminal{socket: s, master: make(chan console.Console, 1)}
	go func() {
		m, err := s.ReceiveMaster()
		if err != nil {
			m = nil
		}
		t.master <- m
	}()
	return t, nil
}

// attachTerminal takes the master runc sent and connects the caller to it:
// output to the log and the caller's stdout, the caller's stdin (if
// interactive) to the container. A caller's terminal is put in raw mode
// until the container ends.
func (w *watch) attachTerminal() error {
	t := w.term
	t.pty = <-t.master
	t.socket.Close()
	if t.pty == nil {
		return fmt.Errorf("container %s: no terminal received from runc", w.st.Name)
	}
	if f, ok := w.sio.Stdin.(*os.File); ok {
		if c, err := console.ConsoleFromFile(f); err == nil && c.SetRaw() == nil {
			t.host = c
			t.resize()
		}
	}
	if w.st.Spec.Interactive && w.sio.Stdin != nil {
		go io.Copy(t.pty, w.sio.Stdin)
	}
	w.copyOut(t.pty, "stdout", w.sio.Stdout)
	return nil
}

// resize gives the container's terminal the caller's size.
func (t *terminal) resize() {
	if t.host == nil || t.pty == nil {
		return
	}
	if size, err := t.host.Size(); err == nil {
		t.pty.Resize(size)
	}
}

func (t *terminal) close() {
	if t.host != nil {
		t.host.Reset()
		t.host = nil
	}
	t.socket.Close()
}
