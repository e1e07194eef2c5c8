package runner

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// maxNameLen and maxHostnameLen bound a container's name and host name
// (the kernel keeps at most 64 bytes of a host name).
const (
	maxNameLen     = 128
	maxHostnameLen = 64
)

// validate checks what can be checked before anything is created, so that
// bad input is reported naming it rather than by runc.
func validate(spec Spec) error {
	if spec.Name != "" {
		if len(spec.Name) > maxNameLen {
			return errdefs.Invalid(fmt.Errorf("container name %q: longer than %d characters", spec.Name, maxNameLen))
		}
		if err := checkName("container", spec.Name); err != nil {
			return err
		}
	}
	for _, kv := range spec.Env {
		if err := checkEnv(kv); err != nil {
			return err
		}
	}
	if err := checkHostname(spec.Hostname); err != nil {
		return err
	}
	targets := map[string]bool{}
	for _, m := range spec.Mounts {
		if err := checkMount(m); err != nil {
			return err
		}
		t := path.Clean(m.Target)
		if targets[t] {
			return errdefs.Invalid(fmt.Errorf("mount %s: two mounts on %s", m.Source, t))
		}
		targets[t] = true
	}
	if err := checkPorts(spec.Ports); err != nil {
		return err
	}
	switch n := spec.Network; {
	case n == "", n == "none", n == "host":
	case strings.HasPrefix(n, "netns:") && filepath.IsAbs(strings.TrimPrefix(n, "netns:")):
		if _, err := os.Stat(strings.TrimPrefix(n, "netns:")); err != nil {
			return errdefs.Invalid(fmt.Errorf("network %q: %w", n, err))
		}
	default:
		return errdefs.Invalid(fmt.Errorf("network %q: want host, none or netns:/path", n))
	}
	if spec.Network == "host" && len(spec.Ports) > 0 {
		return errdefs.Invalid(errors.New("published ports (-p) make no sense with --network host"))
	}
	for _, h := range spec.ExtraHosts {
		name, ip, ok := strings.Cut(h, ":")
		if !ok || name == "" || ip == "" {
			return errdefs.Invalid(fmt.Errorf("extra host %q: want name:ip", h))
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			return errdefs.Invalid(fmt.Errorf("extra host %q: %q is not an IP address", h, ip))
		}
	}
	return nil
}

// checkEnv refuses a variable runc or the kernel would: no name, a name
// with "=", or a NUL byte.
func checkEnv(kv string) error {
	k, _, _ := strings.Cut(kv, "=")
	switch {
	case k == "":
		return errdefs.Invalid(fmt.Errorf("environment variable %q: no name (want KEY=VALUE)", kv))
	case strings.ContainsRune(kv, 0):
		return errdefs.Invalid(fmt.Errorf("environment variable %q: holds a NUL byte", k))
	}
	return nil
}

// checkHostname accepts "" (the default) or up to 64 characters of dot
// separated labels of letters, digits, '-' and '_' (compose service names
// hold underscores).
func checkHostname(h string) error {
	if h == "" {
		return nil
	}
	if len(h) > maxHostnameLen {
		return errdefs.Invalid(fmt.Errorf("hostname %q: longer than %d characters", h, maxHostnameLen))
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || label[0] == '-' {
			return errdefs.Invalid(fmt.Errorf("hostname %q: empty label or one starting with '-'", h))
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return errdefs.Invalid(fmt.Errorf("hostname %q: character %q not allowed (letters, digits, - _ .)", h, c))
			}
		}
	}
	return nil
}

// forbiddenTargets are where the runtime mounts its own file systems: a
// mount there would hide them, or (on /) write runc's device nodes into the
// host folder.
var forbiddenTargets = []string{"/proc", "/sys", "/dev"}

func checkMount(m Mount) error {
	if !path.IsAbs(m.Target) {
		return errdefs.Invalid(fmt.Errorf("mount %s: target %q is not an absolute path", m.Source, m.Target))
	}
	t := path.Clean(m.Target)
	if t == "/" {
		return errdefs.Invalid(fmt.Errorf("mount %s:%s: cannot mount over the container's root", m.Source, m.Target))
	}
	for _, f := range forbiddenTargets {
		if t == f || strings.HasPrefix(t, f+"/") {
			return errdefs.Invalid(fmt.Errorf("mount %s:%s: %s is the runtime's own, not a mount target", m.Source, m.Target, f))
		}
	}
	switch m.Type {
	case "bind":
		if !filepath.IsAbs(m.Source) {
			return errdefs.Invalid(fmt.Errorf("bind mount source %q is not an absolute path", m.Source))
		}
		if _, err := os.Stat(m.Source); err != nil {
			return errdefs.Invalid(fmt.Errorf("bind mount source: %w", err))
		}
	case "volume":
		if len(m.Source) > maxNameLen {
			return errdefs.Invalid(fmt.Errorf("volume name %q: longer than %d characters", m.Source, maxNameLen))
		}
		return checkName("volume", m.Source)
	default:
		return errdefs.Invalid(fmt.Errorf("mount %s: type %q: want bind or volume", m.Source, m.Type))
	}
	return nil
}

// checkPorts checks each mapping and refuses one host port published twice
// (on the same address, or on all addresses and one of them).
func checkPorts(ports []PortMapping) error {
	type key struct {
		proto string
		port  int
	}
	seen := map[key][]netip.Addr{}
	for _, p := range ports {
		name := fmt.Sprintf("%s:%d:%d", p.HostIP, p.HostPort, p.ContainerPort)
		if p.ContainerPort < 1 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 {
			return errdefs.Invalid(fmt.Errorf("port mapping %s: port out of range", name))
		}
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			return errdefs.Invalid(fmt.Errorf("port mapping %s: protocol %q: want tcp or udp", name, p.Protocol))
		}
		ip := netip.IPv4Unspecified()
		if p.HostIP != "" {
			var err error
			if ip, err = netip.ParseAddr(p.HostIP); err != nil {
				return errdefs.Invalid(fmt.Errorf("port mapping %s: %q is not an IP address", name, p.HostIP))
			}
		}
		if p.HostPort == 0 {
			continue // any free port: never the same twice
		}
		k := key{proto, p.HostPort}
		for _, other := range seen[k] {
			if other == ip || other.IsUnspecified() || ip.IsUnspecified() {
				return errdefs.Invalid(fmt.Errorf("port mapping %s: host port %d/%s is published twice", name, p.HostPort, proto))
			}
		}
		seen[k] = append(seen[k], ip)
	}
	return nil
}

// checkRootfs checks the spec against the image's files, once its rootfs
// is mounted: the working folder must not be a file, and a mount must put
// a folder on a folder and a file on a file.
func checkRootfs(st State, rootfs string) error {
	if fi, err := statIn(rootfs, st.Process.WorkingDir); err == nil && !fi.IsDir() {
		return errdefs.Invalid(fmt.Errorf("working folder %s: a file in image %s, not a folder",
			st.Process.WorkingDir, st.Image))
	}
	for _, m := range st.Spec.Mounts {
		dst, err := statIn(rootfs, m.Target)
		if err != nil {
			continue // runc makes it
		}
		srcDir := true
		if m.Type == "bind" {
			src, err := os.Stat(m.Source)
			if err != nil {
				return errdefs.Invalid(fmt.Errorf("bind mount source: %w", err))
			}
			srcDir = src.IsDir()
		}
		switch {
		case srcDir && !dst.IsDir():
			return errdefs.Invalid(fmt.Errorf("mount %s:%s: a folder onto a file of image %s", m.Source, m.Target, st.Image))
		case !srcDir && dst.IsDir():
			return errdefs.Invalid(fmt.Errorf("mount %s:%s: a file onto a folder of image %s", m.Source, m.Target, st.Image))
		}
	}
	return nil
}

// statIn stats p inside rootfs, following symlinks as the container would.
func statIn(rootfs, p string) (os.FileInfo, error) {
	full, err := securejoin.SecureJoin(rootfs, p)
	if err != nil {
		return nil, err
	}
	return os.Stat(full)
}
