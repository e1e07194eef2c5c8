package snapshotter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/flock"
)

// RefNameAnnotation is the index.json annotation that holds an image's name.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Store is the local image store: an OCI image layout under root/content,
// shared by several crossdock processes through a lock file. Blobs are
// immutable and written atomically after their digest is checked; only
// index.json, which names the images, is ever rewritten.
type Store struct {
	root      string
	content   string
	lockPath  string
	transport http.RoundTripper
	remote    []remote.Option
	autoServe bool

	serveNotice func(addr, dir string)
}

// Option configures a Store.
type Option func(*Store)

// WithTransport sets the HTTP transport for registry traffic (default:
// remote.DefaultTransport).
func WithTransport(t http.RoundTripper) Option {
	return func(s *Store) { s.transport = t }
}

// WithRemoteOptions adds options to every registry call, after the store's
// own (keychain auth, retries on 5xx and resets).
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(s *Store) { s.remote = append(s.remote, opts...) }
}

// WithoutAutoServe stops Pull and Push from using the embedded registry
// in-process when the default loopback registry does not answer (default:
// they do, with its data in root/registry, for the duration of the call).
func WithoutAutoServe() Option {
	return func(s *Store) { s.autoServe = false }
}

// Open opens the store at root, creating the layout if it is not there.
func Open(root string, opts ...Option) (*Store, error) {
	s := &Store{
		root:      root,
		content:   filepath.Join(root, "content"),
		lockPath:  filepath.Join(root, "store.lock"),
		autoServe: true,
	}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(filepath.Join(s.content, "blobs", "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	layoutFile := filepath.Join(s.content, "oci-layout")
	if _, err := os.Stat(layoutFile); errors.Is(err, os.ErrNotExist) {
		data := []byte(`{"imageLayoutVersion":"1.0.0"}`)
		if err := atomicfile.WriteFile(layoutFile, data, 0o644); err != nil {
			return nil, fmt.Errorf("open store %s: %w", root, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.content, "index.json")); errors.Is(err, os.ErrNotExist) {
		// An empty index.json makes the folder a valid layout for other tools.
		err := s.updateIndex(context.Background(), func(*v1.IndexManifest) error { return nil })
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", root, err)
		}
	}
	return s, nil
}

// Root is the folder the store was opened at.
func (s *Store) Root() string { return s.root }

// ContentDir is the OCI image layout folder inside the store.
func (s *Store) ContentDir() string { return s.content }

// shared takes the store lock for reading.
func (s *Store) shared(ctx context.Context) (*flock.Lock, error) {
	return flock.Shared(ctx, s.lockPath)
}

// exclusive takes the store lock for rewriting index.json or deleting blobs.
func (s *Store) exclusive(ctx context.Context) (*flock.Lock, error) {
	return flock.Exclusive(ctx, s.lockPath)
}

// readIndex reads index.json; a missing file is an empty index.
func (s *Store) readIndex() (*v1.IndexManifest, error) {
	data, err := os.ReadFile(filepath.Join(s.content, "index.json"))
	if errors.Is(err, os.ErrNotExist) {
		return &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read store index: %w", err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(data, &im); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(s.content, "index.json"), err)
	}
	return &im, nil
}

// readIndexShared reads index.json under the shared lock.
func (s *Store) readIndexShared(ctx context.Context) (*v1.IndexManifest, error) {
	l, err := s.shared(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	return s.readIndex()
}

// updateIndex rewrites index.json under the exclusive lock with what change
// makes of it.
func (s *Store) updateIndex(ctx context.Context, change func(im *v1.IndexManifest) error) error {
	l, err := s.exclusive(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()

	im, err := s.readIndex()
	if err != nil {
		return err
	}
	if err := change(im); err != nil {
		return err
	}
	return s.writeIndex(im)
}

// writeIndex replaces index.json with im. The caller holds the exclusive
// lock.
func (s *Store) writeIndex(im *v1.IndexManifest) error {
	if im.Manifests == nil {
		im.Manifests = []v1.Descriptor{} // the spec wants a list, not null
	}
	data, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return fmt.Errorf("encode store index: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(s.content, "index.json"), data, 0o644)
}

// setName points name at desc in im, replacing what it named before.
func setName(im *v1.IndexManifest, name string, desc v1.Descriptor) {
	desc.Annotations = map[string]string{RefNameAnnotation: name}
	desc.Platform = nil
	for i, d := range im.Manifests {
		if d.Annotations[RefNameAnnotation] == name {
			im.Manifests[i] = desc
			return
		}
	}
	im.Manifests = append(im.Manifests, desc)
}
