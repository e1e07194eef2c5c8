package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// LockVersion is the lockfile format version.
const LockVersion = 1

// LockFileName is the lockfile's name next to a spec named crossdock.yaml;
// see LockPath for other names.
const LockFileName = "crossdock.lock"

// Lockfile pins every outside input of a spec: Go module sums, the u-root
// version, each Debian package's version and sha256 per architecture, and
// base image digests. It is JSON, with one entry per layer source.
type Lockfile struct {
	// Version is LockVersion.
	Version int `json:"version"`
	// Epoch is the SOURCE_DATE_EPOCH the build used, in seconds.
	Epoch int64 `json:"epoch"`
	// Layers follows the spec's layer sources, in order.
	Layers []LockedLayer `json:"layers"`
}

// LockedLayer pins one layer source.
type LockedLayer struct {
	// Kind is the source's kind: go, debian, uroot, files or base.
	Kind string `json:"kind"`
	// Source is the sha256 of the source's definition in the spec; a lock
	// entry whose Source differs is stale.
	Source string        `json:"source"`
	Go     *LockedGo     `json:"go,omitempty"`
	URoot  *LockedURoot  `json:"uroot,omitempty"`
	Debian *LockedDebian `json:"debian,omitempty"`
	Base   *LockedBase   `json:"base,omitempty"`
	// Files pins the content a files source copies, or the main module's
	// files a go source compiles: path relative to the build context ->
	// "MODE sha256:HEX" (MODE 0644 or 0755) or "link TARGET".
	Files map[string]string `json:"files,omitempty"`
}

// LockedGo pins a Go module's dependencies through its go.mod and go.sum,
// and the Go toolchain: a --locked build with another Go version fails
// (another compiler gives other binaries, so another digest).
type LockedGo struct {
	GoMod string `json:"goMod"` // sha256 of go.mod
	GoSum string `json:"goSum"` // sha256 of go.sum, empty if there is none
	// Toolchain is the Go version (go env GOVERSION) that built the lock.
	Toolchain string `json:"toolchain"`
}

// LockedURoot pins the u-root userland.
type LockedURoot struct {
	Version   string   `json:"version"`
	Gobusybox string   `json:"gobusybox"`
	Commands  []string `json:"commands"`
}

// LockedDebian pins the Debian packages of one layer, per Debian
// architecture.
type LockedDebian struct {
	Mirror   string                     `json:"mirror"`
	Suite    string                     `json:"suite"`
	Packages map[string][]LockedPackage `json:"packages"`
}

// LockedPackage pins one .deb.
type LockedPackage struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	Filename     string `json:"filename"`
	SHA256       string `json:"sha256"`
	Size         int64  `json:"size"`
}

// LockedBase pins a base image: the digest the reference resolved to, and
// the manifest digest per platform.
type LockedBase struct {
	Ref       string            `json:"ref"`
	Platforms map[string]string `json:"platforms"`
}

// LockPath is where the spec's lockfile lives: next to it, named after it
// with .lock for .yaml or .yml (crossdock.yaml -> crossdock.lock, ok.yml ->
// ok.lock), or with .lock added to any other name, so two specs in one
// folder never share a lockfile.
func LockPath(s *Spec) string {
	base := filepath.Base(s.Path)
	switch ext := filepath.Ext(base); ext {
	case ".yaml", ".yml":
		base = strings.TrimSuffix(base, ext)
	}
	return filepath.Join(s.Context, base+".lock")
}

// ReadLock reads a lockfile. A missing file gives an error wrapping
// fs.ErrNotExist.
func ReadLock(path string) (*Lockfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l Lockfile
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("lockfile %s: %w", path, err))
	}
	if l.Version != LockVersion {
		return nil, errdefs.Invalid(fmt.Errorf("lockfile %s: version %d, want %d",
			path, l.Version, LockVersion))
	}
	return &l, nil
}

// Marshal encodes the lock as indented JSON with a final newline.
func (l *Lockfile) Marshal() []byte {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		panic(err) // only plain types inside
	}
	return append(data, '\n')
}

// WriteLock writes the lock to path atomically.
func WriteLock(path string, l *Lockfile) error {
	return atomicfile.WriteFile(path, l.Marshal(), 0o644)
}

// readLockIfAny returns nil, nil when there is no lockfile.
func readLockIfAny(path string) (*Lockfile, error) {
	l, err := ReadLock(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return l, err
}
