package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// DefaultURootCommands are the u-root core commands a uroot layer holds
// when the spec names none.
var DefaultURootCommands = []string{
	"gosh", "ls", "cat", "echo", "mkdir", "rm", "cp", "mv", "ln", "pwd",
	"sleep", "true", "false", "printenv", "grep", "chmod", "ps", "kill",
	"hostname", "readlink", "find", "head", "wc", "date", "uname",
}

// check validates the spec after decoding; errors carry file:line.
func (s *Spec) check() error {
	at := func(line int) string { return fmt.Sprintf("%s:%d", s.Path, line) }
	if s.Name == "" {
		return fmt.Errorf("%s: name: required (the image reference)", s.Path)
	}
	if _, err := name.NewTag(s.Name); err != nil {
		return fmt.Errorf("%s: name %q: not an image reference: %w", s.Path, s.Name, err)
	}
	if s.Epoch != nil && (*s.Epoch < 0 || *s.Epoch > MaxEpoch) {
		return fmt.Errorf("%s: epoch %d: want seconds since 1970, 0..%d", s.Path, *s.Epoch, MaxEpoch)
	}
	if err := checkPorts(s.Config.Ports); err != nil {
		return fmt.Errorf("%s: config: %w", s.Path, err)
	}
	if _, err := parsePlatforms(s.Platforms); err != nil {
		return fmt.Errorf("%s: platforms: %w", s.Path, err)
	}
	if len(s.Layers) == 0 {
		return fmt.Errorf("%s: layers: at least one layer source is required", s.Path)
	}
	for i := range s.Layers {
		l := &s.Layers[i]
		n := 0
		for _, set := range []bool{l.Go != nil, l.Debian != nil, l.URoot != nil,
			l.Files != nil, l.Base != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: layer %d: want exactly one of go, debian, uroot, "+
				"files, base", at(l.Line), i+1)
		}
		if err := l.check(s.Context); err != nil {
			return fmt.Errorf("%s: layer %d (%s): %w", at(l.Line), i+1, l.Kind(), err)
		}
		if l.Base != nil && i != 0 {
			return fmt.Errorf("%s: layer %d: base must be the first layer source",
				at(l.Line), i+1)
		}
	}
	return nil
}

func (l *Source) check(context string) error {
	switch {
	case l.Go != nil:
		g := l.Go
		if len(g.Packages) == 0 {
			return fmt.Errorf("packages: name at least one main package")
		}
		if g.Module == "" {
			g.Module = "."
		}
		if _, err := inContext(context, g.Module, true); err != nil {
			return err
		}
		if g.Dest == "" {
			g.Dest = "/usr/bin"
		}
		if err := checkDest(g.Dest); err != nil {
			return err
		}
	case l.Debian != nil:
		if len(l.Debian.Packages) == 0 {
			return fmt.Errorf("packages: name at least one Debian package")
		}
		if l.Debian.Suite == "" {
			l.Debian.Suite = "bookworm"
		}
	case l.URoot != nil:
		if len(l.URoot.Commands) == 0 {
			l.URoot.Commands = append([]string(nil), DefaultURootCommands...)
		}
		for _, c := range l.URoot.Commands {
			if c == "" || strings.ContainsAny(c, "/.") {
				return fmt.Errorf("commands: %q is not a u-root core command name", c)
			}
		}
	case l.Files != nil:
		for _, f := range l.Files {
			if err := f.check(context); err != nil {
				return fmt.Errorf("%w (entry at line %d)", err, f.Line)
			}
		}
	case l.Base != nil:
		if l.Base.Ref == "" {
			return fmt.Errorf("ref: required")
		}
	}
	return nil
}

// inContext resolves rel inside the build context, refusing paths that
// climb out of it, by name or through a symlinked folder on the way. The
// last element is not followed (a symlink is copied as a link), unless
// follow is set (a folder the builder works in, such as a Go module).
//
// TODO: the path is checked, then opened by name: a context changed between
// the two by another process could still swap a folder for a symlink.
func inContext(context, rel string, follow bool) (string, error) {
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("path %q: want a path relative to the build context", rel)
	}
	p := filepath.Join(context, rel)
	r, err := filepath.Rel(context, p)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", fmt.Errorf("path %q: outside the build context %s", rel, context)
	}
	root, err := filepath.EvalSymlinks(context)
	if err != nil {
		return "", fmt.Errorf("build context %s: %w", context, err)
	}
	resolved := root
	if r != "." {
		dir, err := filepath.EvalSymlinks(filepath.Dir(p))
		if err != nil {
			return "", fmt.Errorf("path %q: %w", rel, err)
		}
		resolved = filepath.Join(dir, filepath.Base(p))
	}
	if follow {
		if resolved, err = filepath.EvalSymlinks(resolved); err != nil {
			return "", fmt.Errorf("path %q: %w", rel, err)
		}
	}
	if r, err := filepath.Rel(root, resolved); err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", fmt.Errorf("path %q: resolves through a symlink to %s, outside the "+
			"build context %s", rel, resolved, context)
	}
	return resolved, nil
}

// check validates one files entry: src inside the context, dest a clean
// image path, owner in range.
func (f *FileSource) check(context string) error {
	if f.Src == "" || f.Dest == "" {
		return fmt.Errorf("files: src and dest are required")
	}
	src, err := inContext(context, f.Src, false)
	if err != nil {
		return err
	}
	if err := checkDest(f.Dest); err != nil {
		return err
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("files: src %q: %w", f.Src, err)
	}
	if !fi.IsDir() && (path.Clean(f.Dest) == "/" || strings.HasSuffix(f.Dest, "/")) {
		return fmt.Errorf("files: dest %q: src %q is not a folder: name the file itself "+
			"(dest is the copy's path, not a folder to copy into)", f.Dest, f.Src)
	}
	for _, id := range []struct {
		name string
		v    int
	}{{"uid", f.UID}, {"gid", f.GID}} {
		if id.v < 0 || id.v > MaxID {
			return fmt.Errorf("files: %s %d: want 0..%d", id.name, id.v, MaxID)
		}
	}
	return nil
}

// checkDest refuses image paths that are relative, climb with "..", or
// name an overlay whiteout (".wh." prefix: it would delete lower layers'
// files at run time).
func checkDest(dest string) error {
	if !path.IsAbs(dest) {
		return fmt.Errorf("dest %q: want an absolute path", dest)
	}
	for _, el := range strings.Split(dest, "/") {
		if el == ".." {
			return fmt.Errorf("dest %q: \"..\" is not allowed", dest)
		}
		if strings.HasPrefix(el, ".wh.") {
			return fmt.Errorf("dest %q: names starting with .wh. are whiteouts, not allowed", dest)
		}
	}
	return nil
}

// checkPorts takes PORT or PORT/PROTO with PORT 1..65535 and PROTO tcp,
// udp or sctp.
func checkPorts(ports []string) error {
	for _, p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 || strings.TrimLeft(num, "0123456789") != "" {
			return fmt.Errorf("ports: %q: want PORT[/tcp|udp|sctp] with PORT 1..65535", p)
		}
		switch proto {
		case "", "tcp", "udp", "sctp":
		default:
			return fmt.Errorf("ports: %q: protocol %q: want tcp, udp or sctp", p, proto)
		}
	}
	return nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
