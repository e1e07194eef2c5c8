package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// mountRootfs mounts the container's overlay: the image's layers below, its
// own upper and work folders above. A mount left by a crashed watcher is
// replaced.
func (r *Runtime) mountRootfs(st State) (string, error) {
	dir := r.dir(st.ID)
	target := filepath.Join(dir, "rootfs")
	unmount(target)

	lower := make([]string, len(st.Layers))
	for i, l := range st.Layers {
		lower[len(lower)-1-i] = l // overlay lists the top layer first
	}
	// The writable layer is volatile: overlayfs skips every sync to it,
	// which keeps a syncfs of the whole host filesystem out of each
	// container's stop. overlayfs then leaves a marker that refuses the next
	// mount; the layer was unmounted cleanly by the last watcher, so it is
	// dropped.
	// TODO: after a host crash, what the container wrote in its last
	// seconds before the crash may be missing or torn in its writable layer;
	// it starts anyway.
	work := filepath.Join(dir, "work")
	if err := os.RemoveAll(filepath.Join(work, "work", "incompat")); err != nil {
		return "", fmt.Errorf("mount rootfs of %s: %w", st.Name, err)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,volatile",
		strings.Join(lower, ":"), filepath.Join(dir, "upper"), work)
	// TODO: the options must fit in one page (4 KiB); an image with many
	// layers in deep folders fails to start with "mount rootfs: ...
	// invalid argument". Mounting through fsopen/fsconfig would lift this.
	if len(opts) >= os.Getpagesize() {
		return "", fmt.Errorf("container %s: overlay options too long (%d layers)", st.Name, len(st.Layers))
	}
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return "", errdefs.Host(fmt.Errorf("mount rootfs of %s: overlayfs missing (modprobe overlay): %w", st.Name, err))
		}
		return "", fmt.Errorf("mount rootfs of %s: %w", st.Name, err)
	}
	return target, nil
}

// unmount detaches target if something is mounted there.
func unmount(target string) {
	for unix.Unmount(target, unix.MNT_DETACH) == nil {
	}
}

// writeEtc writes the files bind-mounted over /etc/hosts, /etc/hostname and
// /etc/resolv.conf, and returns their paths by name.
func (r *Runtime) writeEtc(st State) (map[string]string, error) {
	dir := r.dir(st.ID)
	host := st.Spec.Hostname
	if st.Spec.Network == "host" {
		host, _ = os.Hostname()
	}
	var hosts strings.Builder
	fmt.Fprintf(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	fmt.Fprintf(&hosts, "127.0.1.1\t%s\n", host)
	for _, h := range st.Spec.ExtraHosts {
		name, ip, _ := strings.Cut(h, ":")
		fmt.Fprintf(&hosts, "%s\t%s\n", ip, name)
	}
	// TODO: a container on a private network has only loopback, so the
	// name servers copied here are unreachable from it: a lookup of an
	// outside name fails ("bad address" / "Temporary failure in name
	// resolution"). Outbound networking needs a bridge or slirp.
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		resolv = nil
	}
	files := map[string]string{
		"hosts": hosts.String(), "hostname": host + "\n", "resolv.conf": string(resolv),
	}
	out := map[string]string{}
	for name, content := range files {
		// Written anew at every start, so a crash cannot leave one torn
		// for long: no need for an atomic write here.
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, fmt.Errorf("container %s: %w", st.Name, err)
		}
		out[name] = p
	}
	return out, nil
}
