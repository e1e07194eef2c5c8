package runner

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/vishvananda/netns"
)

// proxies publish container ports on the host: a userspace proxy accepts on
// the host address and dials 127.0.0.1:PORT from inside the container's
// network namespace, as rootless Docker and podman do.
type proxies struct {
	ports []PortMapping
	tcp   []net.Listener
	udp   []net.PacketConn
	ns    netns.NsHandle
	wg    sync.WaitGroup
}

// listen binds every host port before the container starts, so that a port
// in use fails the start with the port named.
func listen(ports []PortMapping) (*proxies, error) {
	p := &proxies{ns: -1}
	for _, m := range ports {
		if m.Protocol == "" {
			m.Protocol = "tcp"
		}
		addr := net.JoinHostPort(m.HostIP, strconv.Itoa(m.HostPort))
		var err error
		if m.Protocol == "udp" {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", addr); err == nil {
				p.udp = append(p.udp, c)
				m.HostPort = c.LocalAddr().(*net.UDPAddr).Port
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp", addr); err == nil {
				p.tcp = append(p.tcp, l)
				m.HostPort = l.Addr().(*net.TCPAddr).Port
			}
		}
		if err != nil {
			p.close()
			return nil, fmt.Errorf("publish port %s/%s: %w", addr, m.Protocol, err)
		}
		p.ports = append(p.ports, m)
	}
	return p, nil
}

// serve starts forwarding into the network namespace of the process pid and
// returns the mappings as bound.
func (p *proxies) serve(pid int) []PortMapping {
	if len(p.ports) == 0 {
		return nil
	}
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		p.close()
		return nil
	}
	p.ns = ns
	ti, ui := 0, 0
	for _, m := range p.ports {
		if m.Protocol == "udp" {
			p.wg.Add(1)
			go p.serveUDP(p.udp[ui], m.ContainerPort)
			ui++
		} else {
			p.wg.Add(1)
			go p.serveTCP(p.tcp[ti], m.ContainerPort)
			ti++
		}
	}
	return p.ports
}

// dial opens a socket inside the container's network namespace. The
// socket keeps its namespace after the thread returns to the host's.
func (p *proxies) dial(network string, port int) (net.Conn, error) {
	runtime.LockOSThread()
	host, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer host.Close()
	if err := netns.Set(p.ns); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	c, dialErr := net.DialTimeout(network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err := netns.Set(host); err != nil {
		// This thread is stuck in the container's namespace: leave it locked
		// so that the Go runtime ends it with this goroutine.
		return c, dialErr
	}
	runtime.UnlockOSThread()
	return c, dialErr
}

func (p *proxies) serveTCP(l net.Listener, port int) {
	defer p.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := p.dial("tcp", port)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			<-done
			<-done
		}()
	}
}

// serveUDP relays datagrams: one socket in the container per host client,
// dropped after a minute without traffic.
func (p *proxies) serveUDP(c net.PacketConn, port int) {
	defer p.wg.Done()
	var mu sync.Mutex
	flows := map[string]net.Conn{}
	buf := make([]byte, 64*1024)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			mu.Lock()
			for _, f := range flows {
				f.Close()
			}
			mu.Unlock()
			return
		}
		mu.Lock()
		up, ok := flows[from.String()]
		if !ok {
			if up, err = p.dial("udp", port); err != nil {
				mu.Unlock()
				continue
			}
			flows[from.String()] = up
			go func(key string, up net.Conn, to net.Addr) {
				b := make([]byte, 64*1024)
				for {
					up.SetReadDeadline(time.Now().Add(time.Minute))
					n, err := up.Read(b)
					if err != nil {
						break
					}
					c.WriteTo(b[:n], to)
				}
				mu.Lock()
				delete(flows, key)
				mu.Unlock()
				up.Close()
			}(from.String(), up, from)
		}
		mu.Unlock()
		up.Write(buf[:n])
	}
}

// close stops accepting; connections already open end with the container.
func (p *proxies) close() {
	if p == nil {
		return
	}
	for _, l := range p.tcp {
		l.Close()
	}
	for _, c := range p.udp {
		c.Close()
	}
	p.wg.Wait()
	if p.ns >= 0 {
		p.ns.Close()
		p.ns = -1
	}
}
