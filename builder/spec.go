package builder

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
	// Mode overrides the permission bits of files, written in octal with a
	// leading 0 ("0755" or 0755); at most 07777 (setuid 04000, setgid
	// 02000 and sticky 01000 are allowed, as written).
	Mode *FileMode `yaml:"mode"`
	// UID and GID own what is copied (default 0); 0..MaxID.
	UID int `yaml:"uid"`
	GID int `yaml:"gid"`

	// Line is the entry's line in the spec file.
	Line int `yaml:"-" json:"-"`
}

// MaxID is the largest uid or gid a files entry may declare: the largest
// that a plain USTAR header holds (7 octal digits), which every tar reader
// takes.
const MaxID = 1<<21 - 1

// FileMode is a permission mode written in octal in the spec.
type FileMode uint32

// UnmarshalYAML takes "0755", 0755 or 0o755, and refuses decimal-looking
// values such as 755 (YAML reads them as decimal, giving a mode nobody
// meant) and modes above 07777.
func (m *FileMode) UnmarshalYAML(n *yaml.Node) error {
	bad := func(why string) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: mode %q: %s", n.Line, n.Value, why)}}
	}
	if n.Kind != yaml.ScalarNode || !octalMode.MatchString(n.Value) {
		return bad("want an octal mode with a leading 0, such as \"0755\"")
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(n.Value, "0o"), "0"), 8, 32)
	if n.Value == "0" || n.Value == "0o0" {
		v, err = 0, nil
	}
	if err != nil || v > 0o7777 {
		return bad("want at most 07777")
	}
	*m = FileMode(v)
	return nil
}

var octalMode = regexp.MustCompile(`^0(o?[0-7]{1,5})?$`)

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
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(path, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty spec: want a mapping with at least name and layers", path)
	}
	if doc := root.Content[0]; doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping of keys (name, platforms, config, "+
			"layers, ...) at the top, not a %s", path, doc.Line, nodeKind(doc))
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, yamlError(path, err)
	}
	setLines(&s, &root)

	s.Path = path
	s.Context = filepath.Dir(path)
	s.Digest = sha256Hex(data)
	if s.Platforms != nil && len(s.Platforms) == 0 {
		return nil, fmt.Errorf("%s: platforms: an empty list builds nothing (leave the key "+
			"out for %v)", path, DefaultPlatforms)
	}
	if len(s.Platforms) == 0 {
		s.Platforms = append([]string(nil), DefaultPlatforms...)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "YAML node of kind " + fmt.Sprint(n.Kind)
}

// yamlError rewrites yaml.v3's errors as "file:line: message".
//
// TODO: syntax errors keep yaml.v3's own "yaml: line N" text, and for
// parser errors (an unclosed "[", say) yaml.v3 counts N from 0, so the line
// a user sees is one before the faulty one.
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
			if j >= len(s.Layers) {
				break
			}
			s.Layers[j].Line = item.Line
			for k := 0; k+1 < len(item.Content); k += 2 {
				if item.Content[k].Value != "files" {
					continue
				}
				for f, fn := range item.Content[k+1].Content {
					if f < len(s.Layers[j].Files) {
						s.Layers[j].Files[f].Line = fn.Line
					}
				}
			}
		}
	}
}
