package snapshotter

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
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

// CheckDefaultRegistry validates $CROSSDOCK_REGISTRY, if set: an
// errdefs.Invalid error naming the variable when it is not a registry
// address (see CheckRegistryAddr).
func CheckDefaultRegistry() error {
	v, ok := os.LookupEnv("CROSSDOCK_REGISTRY")
	if !ok || v == "" {
		return nil
	}
	if err := CheckRegistryAddr(v); err != nil {
		return errdefs.Invalid(fmt.Errorf("CROSSDOCK_REGISTRY=%q: %w", v, err))
	}
	return nil
}

// CheckRegistryAddr checks that addr is a registry address, HOST:PORT or
// a DNS name with a dot: no scheme, path, spaces or bad port. It resolves
// nothing. The error is an errdefs.Invalid one.
func CheckRegistryAddr(addr string) error {
	bad := func(why string) error { return errdefs.Invalid(fmt.Errorf("registry address %q: %s", addr, why)) }
	switch {
	case addr == "":
		return bad("empty")
	case strings.Contains(addr, "://"):
		return bad("give HOST:PORT without a scheme such as http://")
	case strings.ContainsAny(addr, "/ \t\r\n@"):
		return bad("give HOST:PORT only, with no path, spaces or @")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if strings.Contains(addr, ":") || !strings.Contains(addr, ".") && addr != "localhost" {
			return bad("give HOST:PORT, such as 127.0.0.1:5115")
		}
		return nil // a DNS name such as ghcr.io, port 443
	}
	if host == "" {
		return bad("no host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return bad("port must be a number from 1 to 65535")
	}
	return nil
}

// ParseReference normalizes an image reference: a reference with no host
// goes to DefaultRegistry, one with no tag or digest gets :latest. Loopback
// registries are spoken to in plain HTTP, every other one over TLS. A bad
// reference is an errdefs.Invalid error naming it.
func ParseReference(ref string) (name.Reference, error) {
	if err := CheckDefaultRegistry(); err != nil {
		return nil, err
	}
	if err := checkRefText(ref); err != nil {
		return nil, err
	}
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

// checkRefText refuses, with a message that says what is wrong, the
// references go-containerregistry rejects unhelpfully or accepts wrongly:
// an empty one, one with uppercase in its repository, one with an empty
// path component (owner//image).
func checkRefText(ref string) error {
	if strings.TrimSpace(ref) == "" {
		return errdefs.Invalid(errors.New("image reference is empty"))
	}
	repo := ref
	if i := strings.IndexAny(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	if i := strings.IndexByte(repo, '/'); i >= 0 && (strings.ContainsAny(repo[:i], ".:") || repo[:i] == "localhost") {
		repo = repo[i+1:] // the host may have uppercase; the path may not
	}
	if strings.Contains(repo, "//") || strings.HasPrefix(repo, "/") || strings.HasSuffix(repo, "/") {
		return errdefs.Invalid(fmt.Errorf("image reference %q: empty path component", ref))
	}
	if strings.ToLower(repo) != repo {
		return errdefs.Invalid(fmt.Errorf("image reference %q: repository names must be lowercase", ref))
	}
	return nil
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
