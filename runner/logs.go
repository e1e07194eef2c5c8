package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// logEntry is one line of a container's log, in Docker's json-file shape.
type logEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// logWriter appends a container's output to its log, one entry per line
// (a partial line is written as it comes, so nothing waits for a newline).
type logWriter struct {
	mu sync.Mutex
	f  *os.File
	bw *bufio.Writer
}

func openLog(path string) (*logWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &logWriter{f: f, bw: bufio.NewWriter(f)}, nil
}

func (l *logWriter) write(stream string, p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().UTC()
	enc := json.NewEncoder(l.bw)
	for len(p) > 0 {
		n := len(p)
		for i, c := range p {
			if c == '\n' {
				n = i + 1
				break
			}
		}
		enc.Encode(logEntry{Log: string(p[:n]), Stream: stream, Time: now})
		p = p[n:]
	}
	l.bw.Flush()
}

func (l *logWriter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bw.Flush()
	l.f.Close()
}

// Logs writes a container's output (stdout and stderr, in order) to w. With
// Follow it keeps writing new output until the container is no longer
// running or ctx ends.
func (r *Runtime) Logs(ctx context.Context, nameOrID string, opts LogOptions, w io.Writer) error {
	st, err := r.find(nameOrID)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(r.dir(st.ID), "log.json"))
	if errors.Is(err, fs.ErrNotExist) {
		if !opts.Follow {
			return nil
		}
		// TODO: following a container that never started its first run
		// returns at once; Docker waits for it to start.
		return nil
	}
	if err != nil {
		return fmt.Errorf("logs of %s: %w", st.Name, err)
	}
	defer f.Close()

	rd := bufio.NewReader(f)
	if opts.Tail > 0 {
		if err := skipToTail(f, opts.Tail); err != nil {
			return fmt.Errorf("logs of %s: %w", st.Name, err)
		}
		rd.Reset(f)
	}
	var partial []byte
	for {
		line, err := rd.ReadBytes('\n')
		partial = append(partial, line...)
		if err == nil {
			var e logEntry
			if json.Unmarshal(partial, &e) == nil {
				to := w
				if e.Stream == "stderr" && opts.Stderr != nil {
					to = opts.Stderr
				}
				if _, err := io.WriteString(to, e.Log); err != nil {
					return err
				}
			}
			partial = partial[:0]
			continue
		}
		if err != io.EOF {
			return fmt.Errorf("logs of %s: %w", st.Name, err)
		}
		if !opts.Follow {
			return nil
		}
		// The watcher writes the last output before it records the exit, so
		// one more read after seeing the exit catches everything.
		cur, lerr := r.load(st.ID)
		if lerr != nil || r.refresh(cur).Status != Running {
			opts.Follow = false
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// skipToTail seeks f to the start of its last n lines.
func skipToTail(f *os.File, n int) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	const chunk = 64 * 1024
	end := fi.Size()
	seen := 0
	buf := make([]byte, chunk)
	for pos := end; pos > 0; {
		size := int64(chunk)
		if pos < size {
			size = pos
		}
		pos -= size
		if _, err := f.ReadAt(buf[:size], pos); err != nil && err != io.EOF {
			return err
		}
		for i := size - 1; i >= 0; i-- {
			if buf[i] != '\n' || pos+i == end-1 {
				continue
			}
			seen++
			if seen == n {
				_, err := f.Seek(pos+i+1, io.SeekStart)
				return err
			}
		}
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}
