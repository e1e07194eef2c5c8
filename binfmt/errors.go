package binfmt

import "errors"

// Sentinel errors that callers branch on with errors.Is. The errors this
// package returns wrap them with the name of the handler, file or
// platform at fault, and with the errdefs category that picks the CLI's
// exit code.
var (
	// ErrNotELF means a file is not an ELF executable. A truncated ELF
	// header wraps it too.
	ErrNotELF = errors.New("not an ELF file")
	// ErrNotMounted means binfmt_misc is not mounted at the root in use.
	ErrNotMounted = errors.New("binfmt_misc is not mounted")
	// ErrNoHandler means no handler is registered for an architecture.
	ErrNoHandler = errors.New("no binfmt handler registered")
	// ErrDisabled means a handler, or binfmt_misc as a whole, is disabled.
	ErrDisabled = errors.New("binfmt handler disabled")
	// ErrConflict means a handler with the wanted name is registered with a
	// different interpreter, flags, magic or mask.
	ErrConflict = errors.New("a different binfmt handler is registered")
	// ErrNoInterpreter means the qemu-user interpreter is not installed, or
	// a registered handler's interpreter is gone.
	ErrNoInterpreter = errors.New("qemu-user interpreter not found")
	// ErrDynamicInterpreter means an interpreter is dynamically linked, so
	// it cannot be opened inside a container's root (flag F needs a static
	// one).
	ErrDynamicInterpreter = errors.New("interpreter is dynamically linked")
	// ErrWrongInterpreter means an interpreter is not a program of the
	// host's own architecture, or is a qemu-user for another target.
	ErrWrongInterpreter = errors.New("wrong interpreter")
	// ErrNoLoader means a dynamically linked binary's loader (PT_INTERP)
	// is missing on the host.
	ErrNoLoader = errors.New("dynamic loader missing")
	// ErrCPULevel means the host CPU lacks the x86-64 level (v2, v3, v4)
	// a platform or binary needs.
	ErrCPULevel = errors.New("CPU lacks the x86-64 level")
	// ErrMismatch means a handler's magic and mask do not match a binary.
	ErrMismatch = errors.New("binfmt handler does not match the binary")
	// ErrNoFixBinary means a handler lacks flag F, so containers that do
	// not carry qemu themselves fail with "no such file or directory".
	ErrNoFixBinary = errors.New("binfmt handler lacks flag F")
	// ErrUnknownArch means an architecture or platform has no entry in the
	// handler table.
	ErrUnknownArch = errors.New("no qemu-user handler for this architecture")
)
