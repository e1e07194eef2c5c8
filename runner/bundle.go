package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// initPath is where the init binary is bind-mounted in every container. It
// sits on the /dev tmpfs so that nothing is written to the writable layer.
const initPath = "/dev/crossdock-init"

// capabilities is Docker's default set.
var capabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

var maskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
}

var readonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// bundleSpec is what a container's config.json is made from, once the
// rootfs is mounted and the user is resolved.
type bundleSpec struct {
	st      State
	rootfs  string
	user    specs.User
	mounts  []specs.Mount // volumes and binds, after the defaults
	etc     map[string]string
	helper  string
	cgroups string
}

// writeBundle writes dir/config.json. It is written anew at every start,
// so it needs no atomic write.
func writeBundle(dir string, b bundleSpec) error {
	s := ociSpec(b)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("bundle %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

func ociSpec(b bundleSpec) *specs.Spec {
	st := b.st
	args := []string{initPath, "--ready-fd", "3"}
	if st.Spec.Tty {
		args = append(args, "--tty")
	}
	args = append(append(args, "--"), st.Process.Args...)
	caps := append([]string{}, capabilities...)
	s := &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: b.rootfs},
		Hostname: st.Spec.Hostname,
		Process: &specs.Process{
			Terminal:        st.Spec.Tty,
			User:            b.user,
			Args:            args,
			Env:             st.Process.Env,
			Cwd:             st.Process.WorkingDir,
			NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits: rlimits(),
		},
		Mounts: defaultMounts(),
		Linux: &specs.Linux{
			CgroupsPath:   b.cgroups,
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
			Namespaces:    namespaces(st.Spec.Network),
		},
	}
	if st.Spec.Network == "host" {
		s.Hostname = "" // keep the host's name, as Docker does
		for i, m := range s.Mounts {
			if m.Destination == "/sys" {
				s.Mounts[i].Source, s.Mounts[i].Type = "/sys", "bind"
				s.Mounts[i].Options = []string{"rbind", "nosuid", "noexec", "nodev", "ro"}
			}
		}
	}
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: initPath, Type: "bind", Source: b.helper,
		Options: []string{"bind", "ro", "nosuid", "nodev"},
	})
	for _, name := range []string{"hosts", "hostname", "resolv.conf"} {
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/etc/" + name, Type: "bind", Source: b.etc[name],
			Options: []string{"rbind", "rprivate"},
		})
	}
	s.Mounts = append(s.Mounts, b.mounts...)
	return s
}

// namespaces lists the container's namespaces. Network "" and "none" get
// a new network namespace in which runc brings up loopback only.
//
// TODO: a container on the default network has no way out: connecting to
// any address but its own loopback fails with "network is unreachable"
// (published ports still reach it from the host). Outbound traffic needs a
// bridge with NAT or a slirp4netns-like user-mode stack; until then use
// --network host, or a stack's network.
func namespaces(network string) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
	}
	switch {
	case network == "host":
	case strings.HasPrefix(network, "netns:"):
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace,
			Path: strings.TrimPrefix(network, "netns:")})
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	return ns
}

func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc",
			Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
			Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
			Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
			Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs",
			Options: []string{"nosuid", "noexec", "nodev", "ro"}},
	}
}

// rlimits gives the container the limits crossdock itself has: root here may
// lack CAP_SYS_RESOURCE, so asking runc for more than the current values
// would fail the start.
func rlimits() []specs.POSIXRlimit {
	var out []specs.POSIXRlimit
	for _, lim := range []struct {
		name string
		res  int
	}{{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE}, {"RLIMIT_NPROC", unix.RLIMIT_NPROC}} {
		var l unix.Rlimit
		if unix.Getrlimit(lim.res, &l) != nil {
			continue
		}
		out = append(out, specs.POSIXRlimit{Type: lim.name, Hard: l.Max, Soft: l.Cur})
	}
	return out
}
