// Package errdefs holds the error categories that crossdock's packages wrap
// their errors in, so that the CLI can pick an exit code without knowing
// which package failed: bad input (2), a host that lacks something (3), or a
// check that did not pass (1).
//
// A package marks an error with the category and keeps its own message:
//
//	return errdefs.Invalid(fmt.Errorf("%s:%d: unknown key %q", file, line, key))
//
// and the CLI asks errors.Is(err, errdefs.ErrInvalid).
package errdefs

import (
	"errors"
	"strconv"
)

var (
	// ErrInvalid marks bad usage or bad input: a spec, a reference, a flag.
	ErrInvalid = errors.New("invalid input")
	// ErrHost marks something the host lacks (qemu, binfmt_misc, FUSE, runc).
	// The message must say how to get it.
	ErrHost = errors.New("host lacks a requirement")
	// ErrFailed marks a test or check that ran and did not pass.
	ErrFailed = errors.New("check failed")
	// ErrNotFound marks a name, reference or digest that is not there.
	// It counts as bad input for the exit code.
	ErrNotFound = errors.New("not found")
)

type marked struct {
	err  error
	kind error
}

func (m marked) Error() string { return m.err.Error() }
func (m marked) Unwrap() []error {
	return []error{m.err, m.kind}
}

func mark(err, kind error) error {
	if err == nil || errors.Is(err, kind) {
		return err
	}
	return marked{err: err, kind: kind}
}

// Invalid marks err as bad input. It returns nil for a nil err.
func Invalid(err error) error { return mark(err, ErrInvalid) }

// Host marks err as a missing host requirement. It returns nil for a nil err.
func Host(err error) error { return mark(err, ErrHost) }

// Failed marks err as a failed check. It returns nil for a nil err.
func Failed(err error) error { return mark(err, ErrFailed) }

// NotFound marks err as naming something absent. It returns nil for a nil err.
func NotFound(err error) error { return mark(err, ErrNotFound) }

// ExitError carries an exit code chosen elsewhere, such as a container's own
// exit status, which `crossdock run` passes through unchanged.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return "exit status " + strconv.Itoa(e.Code) }

// Code maps an error to crossdock's exit code: 0 for nil, the carried code
// for an ExitError, 2 for bad input or a missing name, 3 for a host that
// lacks something, and 1 for everything else (a failed check or an
// operation that went wrong).
func Code(err error) int {
	var ee ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
		return 2
	case errors.Is(err, ErrHost):
		return 3
	default:
		return 1
	}
}
