package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"strings"
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
		if _, err := inContext(context, g.Module); err != nil {
			return err
		}
		if g.Dest == "" {
			g.Dest = "/usr/bin"
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
			if f.Src == "" || f.Dest == "" {
				return fmt.Errorf("files: src and dest are required")
			}
			if _, err := inContext(context, f.Src); err != nil {
				return err
			}
			if !path.IsAbs(f.Dest) {
				return fmt.Errorf("files: dest %q: want an absolute path", f.Dest)
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
// climb out of it.
func inContext(context, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("path %q: want a path relative to the build context", rel)
	}
	p := filepath.Join(context, rel)
	r, err := filepath.Rel(context, p)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", fmt.Errorf("path %q: outside the build context %s", rel, context)
	}
	return p, nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
