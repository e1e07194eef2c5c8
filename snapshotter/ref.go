package snapshotter

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// DefaultRegistryAddr is the registry that references naming no host go to
// when $CROSSDOCK_REGISTRY is not set: the embedded registry's usual address.
const DefaultRegistryAddr = "127.0.0.1:5115"

// DefaultRegistry returns $CROSSDOCK_REGISTRY if set, else
// DefaultRegistryAddr.
func DefaultRegistry() string {
	if r := os.Getenv("CROSSDOCK_REGISTRY"); r != "" {
		return r
	}
	return DefaultRegistryAddr
}

// ParseReference normalizes an image reference: a reference with no host
// goes to DefaultRegistry, one with no tag or digest gets :latest. Loopback
// registries are spoken to in plain HTTP, every other one over TLS. A bad
// reference is an errdefs.Invalid error naming it.
func ParseReference(ref string) (name.Reference, error) {
	opts := []name.Option{name.WithDefaultRegistry(DefaultRegistry())}
	host := DefaultRegistry()
	if i := strings.IndexByte(ref, '/'); i >= 0 && strings.ContainsAny(ref[:i], ".:") ||
		i >= 0 && ref[:i] == "localhost" {
		host = ref[:i]
	}
	if isLoopback(host) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(withTag(ref), opts...)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("image reference %q: %w", ref, err))
	}
	return r, nil
}

// withTag appends :latest to a reference that has neither tag nor digest,
// so the stored name always shows its tag.
func withTag(ref string) string {
	if strings.Contains(ref, "@") {
		return ref
	}
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if strings.Contains(last, ":") {
		return ref
	}
	return ref + ":latest"
}

// TODO: go-containerregistry also speaks plain HTTP to RFC 1918 registry
// addresses after HTTPS fails; crossdock does not turn that off, so a
// private-network registry without TLS still works, unencrypted.
// isLoopback reports whether a registry host (with optional port) is on the
// loopback interface.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// refName is the name a reference is stored under in the local store: the
// full reference, registry included, such as 127.0.0.1:5115/owner/app:v1.
func refName(r name.Reference) string {
	return r.Name()
}
