package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/snapshotter"
)

func init() {
	register("store", func() *command {
		return &command{
			name:    "store",
			summary: "check the local image store",
			usage:   "store SUBCOMMAND",
			example: "crossdock store verify --repair",
			subs:    []*command{newStoreVerify()},
		}
	})
}

// openStore opens the store at env.root, telling the log when a push or
// pull uses the embedded registry in-process.
func openStore(e *env) (*snapshotter.Store, error) {
	if fi, err := os.Stat(e.root); err == nil && !fi.IsDir() {
		return nil, usageError("store root %s (--root or CROSSDOCK_ROOT) is not a folder", e.root)
	}
	return snapshotter.Open(e.root, snapshotter.WithServeNotice(func(addr, dir string) {
		e.log.Info("nothing listens at the default registry; using the embedded one in-process for this command",
			"addr", addr, "data", dir)
	}))
}

func newStoreVerify() *command {
	fs := newFlags("verify")
	repair := fs.Bool("repair", false, "remove the blobs that fail, so the next pull fetches them again")
	return &command{
		name:    "verify",
		summary: "hash every blob in the store again; exit 1 listing those that do not match",
		usage:   "store verify [--repair]",
		example: "crossdock store verify",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError("store verify takes no arguments")
			}
			s, err := openStore(e)
			if err != nil {
				return err
			}
			rep, err := s.VerifyAll(ctx, *repair)
			if err != nil {
				return errdefs.Failed(err)
			}
			for _, h := range rep.Corrupt {
				fmt.Fprintln(e.stdout, "corrupt", h)
			}
			for _, h := range rep.Missing {
				fmt.Fprintln(e.stdout, "missing", h)
			}
			for _, n := range rep.Broken {
				fmt.Fprintln(e.stdout, "broken", n)
			}
			if !rep.OK() {
				what := fmt.Sprintf("%d corrupt blobs, %d missing blobs, %d broken images", len(rep.Corrupt), len(rep.Missing), len(rep.Broken))
				if *repair {
					what += fmt.Sprintf(" (corrupt blobs removed, %d names dropped: pull them again)", len(rep.Dropped))
				}
				return errdefs.Failed(fmt.Errorf("store verify: %s", what))
			}
			e.log.Info("every blob matches its digest", "store", s.ContentDir())
			return nil
		},
	}
}

// progress shows blob transfers: bars on a terminal, a line per finished
// blob otherwise (a JSON object with --log-format json).
type progress struct {
	e    *env
	verb string
	bars *mpb.Progress // nil when stderr is not a terminal

	mu     sync.Mutex
	byBlob map[string]*mpb.Bar
	last   time.Time
}

func newProgress(e *env, verb string) *progress {
	p := &progress{e: e, verb: verb, byBlob: map[string]*mpb.Bar{}}
	if f, ok := e.stderr.(*os.File); ok && e.logFormat == "text" && isTerminal(f) {
		p.bars = mpb.New(mpb.WithOutput(f), mpb.WithWidth(40))
	}
	return p
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// blob takes one blob's progress report.
func (p *progress) blob(u snapshotter.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := u.Digest.String()
	if p.bars == nil {
		if u.Done {
			p.e.log.Info(p.verb, "blob", key, "bytes", u.Total, "cached", u.Cached)
		}
		return
	}
	bar := p.byBlob[key]
	if bar == nil {
		short := p.verb
		if len(u.Digest.Hex) >= 12 {
			short = u.Digest.Hex[:12]
		}
		bar = p.bars.AddBar(u.Total,
			mpb.PrependDecorators(decor.Name(short+" ")),
			mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f")))
		p.byBlob[key] = bar
	}
	bar.SetCurrent(u.Complete)
	if u.Done {
		bar.SetTotal(-1, true)
	}
}

// total takes a report on a whole transfer (a push).
func (p *progress) total(u snapshotter.Progress) {
	if p.bars != nil {
		p.blob(u)
		if u.Total > 0 && u.Complete >= u.Total {
			p.blob(snapshotter.Progress{Total: u.Total, Complete: u.Complete, Done: true})
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) > time.Second || u.Complete >= u.Total {
		p.last = time.Now()
		p.e.log.Info(p.verb, "bytes", u.Complete, "of", u.Total)
	}
}

// wait lets the bars draw their last state.
func (p *progress) wait() {
	if p.bars == nil {
		return
	}
	p.mu.Lock()
	for _, b := range p.byBlob {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	p.mu.Unlock()
	p.bars.Wait()
}
