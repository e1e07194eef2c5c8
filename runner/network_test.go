package runner

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// -p reaches a server that listens on the container's own loopback, over
// TCP and UDP, natively and under emulation.
func TestPublishedPorts(t *testing.T) {
	for _, platform := range testPlatforms {
		t.Run(platform, func(t *testing.T) {
			needPlatform(t, platform)
			r := newTestRuntime(t)
			ctx := context.Background()
			spec := Spec{Cmd: []string{"serve", "8080"}, Ports: []PortMapping{
				{HostIP: "127.0.0.1", ContainerPort: 8080},
				{HostIP: "127.0.0.1", ContainerPort: 8080, Protocol: "udp"},
			}}
			st, err := r.CreateFrom(ctx, spec, probeRootfs(t, platform))
			assert.NilError(t, err)
			defer r.Remove(ctx, st.ID, true)
			assert.NilError(t, r.Start(ctx, st.ID))
			waitLog(t, r, st.ID, "serving")
			st, err = r.Inspect(ctx, st.ID)
			assert.NilError(t, err)
			assert.Assert(t, is.Len(st.Ports, 2))

			tcp := net.JoinHostPort("127.0.0.1", strconv.Itoa(st.Ports[0].HostPort))
			c, err := net.DialTimeout("tcp", tcp, 5*time.Second)
			assert.NilError(t, err)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			_, err = c.Write([]byte("ping"))
			assert.NilError(t, err)
			b := make([]byte, 100)
			n, err := c.Read(b)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(string(b[:n]), "pong ping"))
			c.Close()

			udp := net.JoinHostPort("127.0.0.1", strconv.Itoa(st.Ports[1].HostPort))
			u, err := net.Dial("udp", udp)
			assert.NilError(t, err)
			defer u.Close()
			u.SetDeadline(time.Now().Add(10 * time.Second))
			_, err = u.Write([]byte("udp"))
			assert.NilError(t, err)
			n, err = u.Read(b)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(string(b[:n]), "pong udp"))

			assert.NilError(t, r.Stop(ctx, st.ID, 5*time.Second))
			_, err = net.DialTimeout("tcp", tcp, time.Second)
			assert.Check(t, err != nil, "the port is closed with the container")
		})
	}
}

// A private network has loopback only: the host's own listeners are out of
// reach. /etc/hosts names the container's host name.
func TestPrivateNetworkAndHosts(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	img := probeRootfs(t, "linux/amd64")
	_, out, _ := runProbeImg(t, r, img, Spec{Hostname: "robot1", ExtraHosts: []string{"base:10.0.0.7"},
		Cmd: []string{"cat", "/etc/hosts"}})
	assert.Check(t, is.Contains(out, "127.0.1.1\trobot1\n"))
	assert.Check(t, is.Contains(out, "10.0.0.7\tbase\n"))
	_, out, _ = runProbeImg(t, r, img, Spec{Hostname: "robot1", Cmd: []string{"cat", "/etc/hostname"}})
	assert.Check(t, is.Equal(out, "robot1\n"))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	code, _, _ := runProbeImg(t, r, img, Spec{Cmd: []string{"serve", port}, Network: "host"})
	assert.Check(t, code != 0, "with --network host the port is the host's, in use")
	st, err := r.CreateFrom(context.Background(), Spec{Cmd: []string{"serve", port}}, img)
	assert.NilError(t, err)
	defer r.Remove(context.Background(), st.ID, true)
	assert.NilError(t, r.Start(context.Background(), st.ID))
	waitLog(t, r, st.ID, "serving") // its own loopback: the same port is free
}
