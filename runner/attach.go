package runner

import (
	"io"
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// attachment connects a foreground run's streams to the container's shim.
// A stream that is an *os.File (a terminal, a pipe to another program) is
// handed to the shim as it is; any other reader or writer goes through a
// pipe this process copies. The shim gets them as fds 4 (stdout),
// 5 (stderr) and 6 (stdin).
type attachment struct {
	shimFiles []*os.File // the shim's ends, closed here once it has them
	copying   sync.WaitGroup
}

func newAttachment(sio Stdio) (*attachment, error) {
	a := &attachment{}
	for _, w := range []io.Writer{sio.Stdout, sio.Stderr} {
		f, err := a.writer(w)
		if err != nil {
			a.started()
			return nil, err
		}
		a.shimFiles = append(a.shimFiles, f)
	}
	f, err := a.reader(sio.Stdin)
	if err != nil {
		a.started()
		return nil, err
	}
	a.shimFiles = append(a.shimFiles, f)
	return a, nil
}

// writer returns the file the shim writes one output stream to.
func (a *attachment) writer(w io.Writer) (*os.File, error) {
	if f, ok := w.(*os.File); ok {
		return dupFile(f)
	}
	if w == nil {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	a.copying.Add(1)
	go func() {
		defer a.copying.Done()
		defer rd.Close()
		io.Copy(w, rd)
		io.Copy(io.Discard, rd) // the caller stopped reading: keep the shim going
	}()
	return wr, nil
}

// reader returns the file the shim reads the container's stdin from.
func (a *attachment) reader(r io.Reader) (*os.File, error) {
	if f, ok := r.(*os.File); ok {
		return dupFile(f)
	}
	if r == nil {
		return os.Open(os.DevNull)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		io.Copy(wr, r)
		wr.Close()
	}()
	return rd, nil
}

// dupFile is a copy of f's descriptor that may be closed without closing f.
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// started closes this process's copies of the shim's ends, once the shim
// has inherited them (or failed to start).
func (a *attachment) started() {
	for _, f := range a.shimFiles {
		f.Close()
	}
	a.shimFiles = nil
}

// wait returns once all output the shim wrote was copied to the caller.
func (a *attachment) wait() { a.copying.Wait() }

// attachedStdio is the shim's side: the streams on fds 4-6 and the
// signals its client forwards (SIGWINCH resizes the terminal).
func attachedStdio() Stdio {
	var files []*os.File
	for fd, name := range []string{"stdout", "stderr", "stdin"} {
		unix.CloseOnExec(4 + fd) // for the shim only, not runc
		files = append(files, os.NewFile(uintptr(4+fd), name))
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT,
		unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
	return Stdio{Stdout: files[0], Stderr: files[1], Stdin: files[2], Signals: sigs}
}
