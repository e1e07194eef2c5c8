package stack

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"
)

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A published port reaches the service in its namespace from the host's
// loopback; an unpublished one is not there.
func TestPublishedPort(t *testing.T) {
	s, _, _ := newStacks(t)
	port := freePort(t)
	f := writeStack(t, fmt.Sprintf(`
services:
  web:
    image: stackapp
    command: [serve, "7000", published]
    ports: ["127.0.0.1:%d:7000"]
`, port))
	_, err := s.Up(context.Background(), "ports", f)
	assert.NilError(t, err)
	defer s.Down(context.Background(), "ports", true)

	poll.WaitOn(t, func(poll.LogT) poll.Result {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return poll.Continue("dial: %v", err)
		}
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return poll.Continue("read: %v", err)
		}
		if line != "published\n" {
			return poll.Error(fmt.Errorf("got %q", line))
		}
		return poll.Success()
	}, poll.WithTimeout(30*time.Second))

	_, err = net.DialTimeout("tcp", "127.0.0.1:7000", time.Second)
	assert.Check(t, err != nil, "the container port is not on the host")
}
