package runner

import (
	"encoding/json"
	"os/exec"
	"strings"
)

// runcState asks runc whether the container id still exists and runs:
// "running", "paused", "created", "stopped", or "" when runc has no such
// container (or cannot tell).
func (r *Runtime) runcState(id string) (status string, pid int) {
	out, err := exec.Command(r.runc, "--root", r.runcRoot, "state", id).Output()
	if err != nil {
		return "", 0
	}
	var s struct {
		Status string `json:"status"`
		Pid    int    `json:"pid"`
	}
	if json.Unmarshal(out, &s) != nil {
		return "", 0
	}
	return s.Status, s.Pid
}

// orphanedError is State.Error of a running container whose shim died.
const orphanedError = "orphaned: the shim watching it died; its output is no longer logged"

// refresh corrects a state whose shim died, from what runc says: a
// container that still runs is Running with an Error saying it is
// orphaned; one that ended is Exited with code -1 (unknown).
//
// TODO: an orphaned container's output is no longer logged, and its exit
// code is lost; a recycled shim pid would make a dead container look alive
// until that pid ends.
func (r *Runtime) refresh(st State) State {
	if st.Status != Running || st.ShimPid == 0 || alive(st.ShimPid) {
		return st
	}
	switch status, pid := r.runcState(st.ID); status {
	case "running", "paused", "created":
		st.Error, st.Pid = orphanedError, pid
		return st
	}
	st.Status, st.ExitCode, st.Pid, st.Ports = Exited, -1, 0, nil
	st.Error = "the shim watching it died; its exit code is unknown"
	return st
}

// orphanedRemove reports whether st is an --rm container that ended while
// no shim watched it: whoever lists it next removes it.
func orphanedRemove(st State) bool {
	return st.Spec.AutoRemove && st.Status == Exited && st.ShimPid != 0 && !alive(st.ShimPid)
}

// Orphaned reports whether the container runs on without a shim watching
// it (see Runtime.List): stop, kill and rm -f still work, through runc.
func (s State) Orphaned() bool { return s.Error == orphanedError }

// Broken reports whether the container's state file could not be read
// (torn by a crash): it is listed under its ID, and rm -f removes it.
func (s State) Broken() bool { return s.Status == Exited && strings.HasPrefix(s.Error, brokenPrefix) }

// brokenPrefix starts State.Error of a container whose state is unreadable.
const brokenPrefix = "state unreadable"
