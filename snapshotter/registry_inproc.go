package snapshotter

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// inProcess serves a registry handler to an http.Transport of the same
// process through in-memory pipes: the OCI distribution API without a
// listening socket, so no other process can come to depend on it and
// nothing is left behind when the command ends.
type inProcess struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once // closes done
	stop  sync.Once // stops the server
	srv   *http.Server
	tr    *http.Transport
}

// newInProcess starts serving h in-process. Its Transport dials h whatever
// address a request names; Close stops it.
func newInProcess(h http.Handler) *inProcess {
	p := &inProcess{conns: make(chan net.Conn), done: make(chan struct{})}
	p.srv = &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	p.tr = &http.Transport{
		DialContext:         p.dial,
		MaxIdleConnsPerHost: 8,
		DisableCompression:  true,
	}
	go p.srv.Serve(pipeListener{p}) //nolint:errcheck // always ErrServerClosed after Close
	return p
}

// Transport returns the round tripper that reaches the handler.
func (p *inProcess) Transport() http.RoundTripper { return p.tr }

func (p *inProcess) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-p.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, net.ErrClosed
}

// pipeListener is the server's net.Listener: the connections dial makes.
type pipeListener struct{ p *inProcess }

func (l pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.p.conns:
		return c, nil
	case <-l.p.done:
		return nil, net.ErrClosed
	}
}

func (l pipeListener) Addr() net.Addr { return pipeAddr{} }

// Close refuses new connections; the server calls it when it stops.
func (l pipeListener) Close() error {
	l.p.once.Do(func() { close(l.p.done) })
	return nil
}

// Close stops the server and drops its connections.
func (p *inProcess) Close() error {
	p.stop.Do(func() {
		pipeListener{p}.Close()
		p.tr.CloseIdleConnections()
		p.srv.Close()
	})
	return nil
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }
