package debian

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

// spool is one package's data.tar, decompressed into an unnamed file.
type spool struct {
	member string // data.tar.xz, ...
	file   *os.File
	err    error
}

func (s spool) close() {
	if s.file != nil {
		s.file.Close()
	}
}

// decompressAhead spools the packages' data.tar files, several at once
// (one per CPU, at most 3), and hands them over in order, until all are
// handed over, one fails, or stop is closed. At most that many spools wait
// besides the one being read. Every spool it made and did not hand over is
// closed before it returns.
func decompressAhead(debs []Deb, ahead chan<- spool, stop <-chan struct{}) {
	defer close(ahead)
	results := make([]chan spool, len(debs))
	for i := range results {
		results[i] = make(chan spool, 1)
	}
	slots := make(chan struct{}, min(runtime.GOMAXPROCS(0), 3))
	quit := make(chan struct{})
	started := make(chan int, 1)
	go func() {
		n := 0
		defer func() { started <- n }()
		for i, d := range debs {
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			n++
			go func() { results[i] <- decompress(d.Path) }()
		}
	}()

	next := 0
	defer func() {
		close(quit)
		for n := <-started; next < n; next++ {
			(<-results[next]).close()
		}
	}()
	for next < len(debs) {
		s := <-results[next]
		next++
		<-slots
		select {
		case ahead <- s:
		case <-stop:
			s.close()
			return
		}
		if s.err != nil {
			return
		}
	}
}

func decompress(debPath string) spool {
	f, err := os.CreateTemp("", "crossdock-deb-*.tar")
	if err != nil {
		return spool{err: fmt.Errorf("spool %s: %w", debPath, err)}
	}
	os.Remove(f.Name()) // unnamed: nothing is left behind if the process dies
	s := spool{file: f}
	err = withMember(debPath, "data.tar", func(member string, r io.Reader) error {
		s.member = member
		if _, err := io.Copy(f, r); err != nil {
			return fmt.Errorf("deb %s: %s: %w", debPath, member, err)
		}
		_, err := f.Seek(0, io.SeekStart)
		return err
	})
	if err != nil {
		f.Close()
		return spool{err: err}
	}
	return s
}
