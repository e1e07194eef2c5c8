// Package flock takes advisory file locks (flock(2)) so that several
// crossdock processes can share one store: a shared lock for readers, an
// exclusive one for writers. A lock dies with its process, so a killed run
// never leaves the store locked.
package flock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// Exclusive blocks until it holds an exclusive lock on path (created if
// absent), or ctx ends.
func Exclusive(ctx context.Context, path string) (*Lock, error) {
	return take(ctx, path, unix.LOCK_EX)
}

// Shared blocks until it holds a shared lock on path, or ctx ends.
func Shared(ctx context.Context, path string) (*Lock, error) {
	return take(ctx, path, unix.LOCK_SH)
}

func take(ctx context.Context, path string, how int) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	delay := time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if err != unix.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

// Unlock releases the lock. It is safe to call on a nil Lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}
