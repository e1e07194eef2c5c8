package stack

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/testhost"
)

// inNetns runs f on a thread inside the namespace at path; the thread is
// thrown away afterwards.
func inNetns(t *testing.T, path string, f func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

// serve listens on port 7000 in the namespace at path and answers each
// connection with word.
func serve(t *testing.T, path, word string) {
	t.Helper()
	var l net.Listener
	err := inNetns(t, path, func() (err error) {
		l, err = net.Listen("tcp", ":7000")
		return err
	})
	assert.NilError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, word)
			c.Close()
		}
	}()
}

func dial(t *testing.T, from, addr string) (string, error) {
	var line string
	err := inNetns(t, from, func() error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		line, err = bufio.NewReader(c).ReadString('\n')
		return err
	})
	return line, err
}

func hostLinks(t *testing.T) int {
	ifs, err := net.Interfaces()
	assert.NilError(t, err)
	return len(ifs)
}

// Two stacks with the same services and the same addresses run at once;
// each service reaches the other of its own stack only; nothing appears
// on the host, and Remove leaves no namespace behind.
func TestNetworkIsolatedPerStack(t *testing.T) {
	testhost.RequireRoot(t)
	before := hostLinks(t)

	one, err := CreateNetwork([]string{"talker", "listener"})
	assert.NilError(t, err)
	defer one.Remove()
	two, err := CreateNetwork([]string{"talker", "listener"})
	assert.NilError(t, err)
	defer two.Remove()

	assert.Equal(t, one.Services["listener"].IP, two.Services["listener"].IP)
	assert.Equal(t, hostLinks(t), before, "no link may appear on the host")

	serve(t, one.Services["listener"].Netns, "one")
	serve(t, two.Services["listener"].Netns, "two")
	addr := net.JoinHostPort(one.Services["listener"].IP, "7000")
	got, err := dial(t, one.Services["talker"].Netns, addr)
	assert.NilError(t, err)
	assert.Equal(t, got, "one\n")
	got, err = dial(t, two.Services["talker"].Netns, addr)
	assert.NilError(t, err)
	assert.Equal(t, got, "two\n")

	_, err = dial(t, one.Services["talker"].Netns, "127.0.0.1:7000")
	assert.ErrorContains(t, err, "refused", "loopback is the service's own")

	var paths []string
	for _, n := range []*Network{one, two} {
		paths = append(paths, n.Stack)
		for _, ep := range n.Services {
			paths = append(paths, ep.Netns)
		}
		assert.NilError(t, n.Remove())
	}
	for _, p := range paths {
		_, err := os.Stat(p)
		assert.Check(t, os.IsNotExist(err), "%s still there", p)
	}
	assert.NilError(t, one.Remove(), "Remove twice is fine")
}
