package builder

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// DefaultPlatforms are built when a spec names none.
var DefaultPlatforms = []string{"linux/arm/v7", "linux/amd64"}

// Spec is a parsed crossdock.yaml: what to build and from what.
type Spec struct {
	// Name is the image reference the result is stored under.
	Name string `yaml:"name"`
	// Platforms lists OCI platform strings; DefaultPlatforms if empty.
	Platforms []string `yaml:"platforms"`
	// Epoch is the SOURCE_DATE_EPOCH in seconds used for every mtime and
	// the config's created time, unless an option or the lockfile sets one.
	Epoch *int64 `yaml:"epoch"`
	// Mirror is the Debian mirror URL; the host's apt sources by default.
	Mirror string `yaml:"mirror"`
	// Config is the image configuration.
	Config Config `yaml:"config"`
	// Prefetch lists paths placed first in their eStargz layer, besides the
	// entrypoint.
	Prefetch []string `yaml:"prefetch"`
	// Layers are the layer sources, in order; each becomes one layer.
	Layers []Source `yaml:"layers"`

	// Path is the spec file; Context is its folder, the build context.
	Path    string `yaml:"-"`
	Context string `yaml:"-"`
	// Digest is the sha256 of the spec file's bytes.
	Digest string `yaml:"-"`
}

// Config is the runtime configuration recorded in the image config.
type Config struct {
	// Env is set over the base image's variables; new names are sorted.
	Env map[string]string `yaml:"env"`
	// Workdir is the working folder of the container's process.
	Workdir string `yaml:"workdir"`
	// User is "uid[:gid]" or a name from the image's /etc/passwd.
	User string `yaml:"user"`
	// Entrypoint replaces the base's entrypoint and resets its Cmd.
	Entrypoint []string `yaml:"entrypoint"`
	// Cmd is the default arguments (or command, without an entrypoint).
	Cmd []string `yaml:"cmd"`
	// Ports are exposed ports such as "11311/tcp" or "80".
	Ports []string `yaml:"ports"`
	// Volumes are folders declared as volumes.
	Volumes []string `yaml:"volumes"`
	// Labels are the image's labels.
	Labels map[string]string `yaml:"labels"`
}

// Source is one layer source; exactly one field is set.
type Source struct {
	Go     *GoSource     `yaml:"go"`     // cross-compiled Go programs
	Debian *DebianSource `yaml:"debian"` // unpacked Debian packages
	URoot  *URootSource  `yaml:"uroot"`  // a u-root userland
	Files  []FileSource  `yaml:"files"`  // files from the build context
	Base   *BaseSource   `yaml:"base"`   // an existing image (first source only)

	// Line is the source's line in the spec file.
	Line int `yaml:"-" json:"-"`
}

// GoSource cross-compiles main packages of a Go module in the context.
type GoSource struct {
	// Module is the module folder, relative to the context (default ".").
	Module string `yaml:"module"`
	// Packages are main packages, relative to the module ("./cmd/x").
	Packages []string `yaml:"packages"`
	// Dest is the folder the binaries go to (default /usr/bin).
	Dest string `yaml:"dest"`
	// Ldflags are extra linker flags; -buildid= is always added.
	Ldflags string `yaml:"ldflags"`
	// Tags are build tags.
	Tags []string `yaml:"tags"`
}

// DebianSource unpacks Debian packages and their dependencies.
type DebianSource struct {
	// Suite is the Debian suite (default bookworm).
	Suite string `yaml:"suite"`
	// Packages are package names; dependencies are resolved.
	Packages []string `yaml:"packages"`
}

// URootSource is a u-root busybox-style userland in /bin.
type URootSource struct {
	// Commands are u-root core command names (default DefaultURootCommands).
	Commands []string `yaml:"commands"`
}

// FileSource copies a file or folder from the context into the image.
type FileSource struct {
	// Src is a file or folder, relative to the build context.
	Src string `yaml:"src"`
	// Dest is the absolute path in the image.
	Dest string `yaml:"dest"`
	// Mode overrides the permission bits of files (octal in YAML: 0755).
	Mode *uint32 `yaml:"mode"`
	// UID and GID own what is copied (default 0).
	UID int `yaml:"uid"`
	GID int `yaml:"gid"`
}

// BaseSource starts the image from an existing image's layers and config.
type BaseSource struct {
	// Ref is an image reference in the local store or a registry.
	Ref string `yaml:"ref"`
}

// Kind names the source's kind: go, debian, uroot, files or base.
func (s *Source) Kind() string {
	switch {
	case s.Go != nil:
		return "go"
	case s.Debian != nil:
		return "debian"
	case s.URoot != nil:
		return "uroot"
	case s.Files != nil:
		return "files"
	case s.Base != nil:
		return "base"
	}
	return ""
}

// yamlLine matches the line number in yaml.v3's decoding errors.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)
var unknownField = regexp.MustCompile(`^field (\S+) not found in type`)

// Load reads and checks a crossdock.yaml. Unknown keys, bad platforms and
// incomplete sources fail with the file and line.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("read spec: %w", err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s, err := parse(abs, data)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	return s, nil
}

func parse(path string, data []byte) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, yamlError(path, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(path, err)
	}
	setLines(&s, &root)

	s.Path = path
	s.Context = filepath.Dir(path)
	s.Digest = sha256Hex(data)
	if len(s.Platforms) == 0 {
		s.Platforms = append([]string(nil), DefaultPlatforms...)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// yamlError rewrites yaml.v3's errors as "file:line: message".
func yamlError(path string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %w", path, err)
	}
	var msgs []string
	for _, e := range te.Errors {
		m := yamlLine.FindStringSubmatch(e)
		if m == nil {
			msgs = append(msgs, path+": "+e)
			continue
		}
		msg := m[2]
		if k := unknownField.FindStringSubmatch(msg); k != nil {
			msg = fmt.Sprintf("unknown key %q", k[1])
		}
		msgs = append(msgs, fmt.Sprintf("%s:%s: %s", path, m[1], msg))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// setLines records each layer source's line from the YAML tree.
func setLines(s *Spec, root *yaml.Node) {
	if len(root.Content) == 0 {
		return
	}
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "layers" {
			continue
		}
		for j, item := range doc.Content[i+1].Content {
			if j < len(s.Layers) {
				s.Layers[j].Line = item.Line
			}
		}
	}
}
