package stack

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetnsDir is where stack network namespaces are bound, as `ip netns`
// does, so `ip netns list` shows them while a stack runs.
const NetnsDir = "/run/netns"

// Subnet is the private subnet of every stack. It can be the same in every
// stack because each stack's bridge lives in the stack's own namespace.
const Subnet = "10.89.0.0/24"

// bridgeName is the bridge inside a stack's namespace.
const bridgeName = "br0"

// Network is a stack's network: a namespace holding a bridge, and one
// namespace per service joined to it by a veth pair.
type Network struct {
	ID       string              `json:"id"`       // random, names the namespaces
	Stack    string              `json:"stack"`    // path of the stack's namespace
	Services map[string]Endpoint `json:"services"` // by service name
}

// Endpoint is a service's place on the stack's network.
type Endpoint struct {
	Netns string `json:"netns"` // path of the service's namespace, for Spec.Network "netns:PATH"
	IP    string `json:"ip"`
}

// CreateNetwork makes a network for the named services. On error nothing
// is left behind.
func CreateNetwork(services []string) (_ *Network, err error) {
	if len(services) > 250 {
		return nil, fmt.Errorf("stack network: %d services, at most 250 fit in %s", len(services), Subnet)
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	n := &Network{ID: id, Services: map[string]Endpoint{}}
	defer func() {
		if err != nil {
			n.Remove()
		}
	}()

	if n.Stack, err = newNamedNetns("crossdock-" + id); err != nil {
		return nil, err
	}
	h, closeH, err := handleAt(n.Stack)
	if err != nil {
		return nil, err
	}
	defer closeH()
	if err := upLoopback(h); err != nil {
		return nil, fmt.Errorf("stack netns %s: %w", n.Stack, err)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName}}
	if err := h.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("stack netns %s: add bridge: %w", n.Stack, err)
	}
	if err := addAddr(h, br, "10.89.0.1/24"); err != nil {
		return nil, fmt.Errorf("stack netns %s: bridge: %w", n.Stack, err)
	}

	for i, name := range services {
		ip := fmt.Sprintf("10.89.0.%d", i+2)
		if err := n.join(h, br, i, name, ip); err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
	}
	return n, nil
}

// join creates a service's namespace and connects it to the bridge.
func (n *Network) join(h *netlink.Handle, br netlink.Link, i int, service, ip string) error {
	path, err := newNamedNetns("crossdock-" + n.ID + "-" + service)
	if err != nil {
		return err
	}
	// Record it at once so Remove finds it if a later step fails.
	n.Services[service] = Endpoint{Netns: path, IP: ip}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", path, err)
	}
	defer ns.Close()

	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: fmt.Sprintf("veth%d", i), MasterIndex: br.Attrs().Index},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(int(ns)),
	}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth pair: %w", err)
	}
	if err := h.LinkSetUp(veth); err != nil {
		return fmt.Errorf("veth up: %w", err)
	}

	sh, closeSH, err := handleAt(path)
	if err != nil {
		return err
	}
	defer closeSH()
	if err := upLoopback(sh); err != nil {
		return err
	}
	eth, err := sh.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	if err := addAddr(sh, eth, ip+"/24"); err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	// A default route into the bridge, where it ends: programs that look
	// for "their" address by routing find eth0, and nothing leaves the stack.
	gw := &netlink.Route{LinkIndex: eth.Attrs().Index, Gw: net.ParseIP("10.89.0.1")}
	if err := sh.RouteAdd(gw); err != nil {
		return fmt.Errorf("netns %s: default route: %w", path, err)
	}
	return nil
}

// Remove deletes the network's namespaces (which deletes their links).
// It is safe to call on a partly created network and more than once.
func (n *Network) Remove() error {
	var errs []error
	for _, ep := range n.Services {
		errs = append(errs, removeNamedNetns(ep.Netns))
	}
	errs = append(errs, removeNamedNetns(n.Stack))
	return errors.Join(errs...)
}

func addAddr(h *netlink.Handle, l netlink.Link, cidr string) error {
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	if err := h.AddrAdd(l, a); err != nil {
		return fmt.Errorf("add address %s to %s: %w", cidr, l.Attrs().Name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up: %w", l.Attrs().Name, err)
	}
	return nil
}

func upLoopback(h *netlink.Handle) error {
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("loopback up: %w", err)
	}
	return nil
}

// handleAt opens a netlink handle inside the namespace at path, without
// moving the calling thread.
func handleAt(path string) (*netlink.Handle, func(), error) {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open netns %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, nil, fmt.Errorf("netlink in %s: %w", path, err)
	}
	return h, h.Close, nil
}

// newNamedNetns creates a network namespace and binds it at NetnsDir/name.
// The work happens on a locked thread that is thrown away afterwards, so
// no goroutine of the caller ever runs in the new namespace.
func newNamedNetns(name string) (string, error) {
	if err := os.MkdirAll(NetnsDir, 0o755); err != nil {
		return "", fmt.Errorf("netns folder: %w", err)
	}
	path := filepath.Join(NetnsDir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", fmt.Errorf("netns %s: %w", path, err)
	}
	f.Close()

	errc := make(chan error, 1)
	go func() {
		// The thread is never unlocked: Go ends it with the goroutine,
		// so the changed namespace dies with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare network namespace: %w", err)
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(self, path, "", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind netns at %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

func removeNamedNetns(path string) error {
	if path == "" {
		return nil
	}
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) &&
		!errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount netns %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove netns %s: %w", path, err)
	}
	return nil
}

func randomID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
