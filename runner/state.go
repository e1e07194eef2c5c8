package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
)

func (r *Runtime) statePath(id string) string { return filepath.Join(r.dir(id), "state.json") }

// load reads one container's state as last written.
func (r *Runtime) load(id string) (State, error) {
	var st State
	b, err := os.ReadFile(r.statePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return st, errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	if err != nil {
		return st, fmt.Errorf("container %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		// Torn by a crash (the pid is saved without fsync): list it as an
		// exited container named by its ID, so that rm can remove it.
		return State{ID: id, Name: id, Status: Exited, ExitCode: -1,
			Error: fmt.Sprintf("%s: %v", brokenPrefix, err)}, nil
	}
	return st, nil
}

// save writes a container's state atomically and durably (fsync). Callers
// hold r.lock.
func (r *Runtime) save(st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("container %s: %w", st.Name, err)
	}
	return atomicfile.WriteFile(r.statePath(st.ID), b, 0o600)
}

// saveFast writes a container's state atomically (a new file renamed over
// the old) but without fsync: for what a crash makes moot anyway, the pid
// and ports of a running container. Callers hold r.lock.
func (r *Runtime) saveFast(st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("container %s: %w", st.Name, err)
	}
	tmp := r.statePath(st.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("container %s: %w", st.Name, err)
	}
	if err := os.Rename(tmp, r.statePath(st.ID)); err != nil {
		return fmt.Errorf("container %s: %w", st.Name, err)
	}
	return nil
}

// update applies change to the current state under the lock and saves it
// durably.
func (r *Runtime) update(ctx context.Context, id string, change func(*State) error) (State, error) {
	return r.change(ctx, id, change, r.save)
}

// updateFast is update with saveFast.
func (r *Runtime) updateFast(ctx context.Context, id string, change func(*State) error) (State, error) {
	return r.change(ctx, id, change, r.saveFast)
}

func (r *Runtime) change(ctx context.Context, id string, change func(*State) error,
	save func(State) error) (State, error) {
	l, err := r.lock(ctx)
	if err != nil {
		return State{}, err
	}
	defer l.Unlock()
	st, err := r.load(id)
	if err != nil {
		return st, err
	}
	if err := change(&st); err != nil {
		return st, err
	}
	return st, save(st)
}

// all reads every container's state, oldest first.
func (r *Runtime) all() ([]State, error) {
	ents, err := os.ReadDir(r.containersDir())
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []State
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		st, err := r.load(e.Name())
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // being created or removed
		}
		if err != nil {
			return nil, err
		}
		st = r.refresh(st)
		if orphanedRemove(st) {
			r.removeFiles(st, true) // --rm, and its shim died before it could
			continue
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// find resolves a name, a full ID or a unique ID prefix.
func (r *Runtime) find(nameOrID string) (State, error) {
	if nameOrID == "" {
		return State{}, errdefs.Invalid(errors.New("no container name given"))
	}
	list, err := r.all()
	if err != nil {
		return State{}, err
	}
	var hits []State
	for _, st := range list {
		if st.Name == nameOrID || st.ID == nameOrID {
			return st, nil
		}
		if strings.HasPrefix(st.ID, nameOrID) {
			hits = append(hits, st)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return State{}, errdefs.NotFound(fmt.Errorf("no such container: %s", nameOrID))
	default:
		return State{}, errdefs.Invalid(fmt.Errorf("container ID prefix %s is ambiguous", nameOrID))
	}
}

// alive reports whether a process with that pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
