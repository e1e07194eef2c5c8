package debian

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pault.ag/go/debian/control"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// aptDir is where HostArchive reads apt's sources; tests point it elsewhere.
var aptDir = "/etc/apt"

// HostArchive returns the first "deb" source the host's apt reads: from
// /etc/apt/sources.list (one-line format), then the files in
// /etc/apt/sources.list.d in name order (*.list one-line, *.sources deb822),
// which is the order apt itself uses. The archive gets that entry's first
// URI, its first suite, its components and its Signed-By keyring file
// (DefaultKeyring when it names none).
//
// Disabled entries (Enabled: no) and deb-src entries are skipped. It fails
// with errdefs.ErrNotFound when no deb entry exists.
func HostArchive() (Archive, error) {
	archives, err := hostArchives(aptDir)
	if err != nil {
		return Archive{}, err
	}
	return archives[0], nil
}

// HostArchives returns every "deb" source of the host's apt, in apt's
// order (see HostArchive), one Archive per URI and suite: with Debian's
// usual sources that is the release, its -updates and its -security
// suites. MergeIndexes combines their indexes.
func HostArchives() ([]Archive, error) {
	return hostArchives(aptDir)
}

func hostArchives(dir string) ([]Archive, error) {
	files := []string{filepath.Join(dir, "sources.list")}
	names, err := filepath.Glob(filepath.Join(dir, "sources.list.d", "*"))
	if err != nil {
		return nil, fmt.Errorf("read apt sources: %w", err)
	}
	slices.Sort(names)
	files = append(files, names...)

	var all []Archive
	for _, name := range files {
		var parse func(io.Reader) ([]Archive, error)
		switch {
		case strings.HasSuffix(name, ".list"):
			parse = parseOneLine
		case strings.HasSuffix(name, ".sources"):
			parse = parseDeb822
		default:
			continue // apt ignores other names too (.save, .disabled, ...)
		}
		archives, err := parseSourcesFile(name, parse)
		if err != nil {
			return nil, err
		}
		all = append(all, archives...)
	}
	if len(all) == 0 {
		return nil, errdefs.NotFound(fmt.Errorf("no deb entry in the apt sources under %s", dir))
	}
	return all, nil
}

func parseSourcesFile(name string, parse func(io.Reader) ([]Archive, error)) ([]Archive, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read apt sources: %w", err)
	}
	defer f.Close()

	archives, err := parse(f)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("apt sources %s: %w", name, err))
	}
	return archives, nil
}

// parseOneLine reads apt's one-line format:
//
//	deb [signed-by=/path arch=amd64] http://mirror/debian bookworm main contrib
func parseOneLine(r io.Reader) ([]Archive, error) {
	var archives []Archive
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "deb" {
			continue
		}
		fields = fields[1:]

		var keyring string
		if len(fields) > 0 && strings.HasPrefix(fields[0], "[") {
			end := slices.IndexFunc(fields, func(f string) bool { return strings.HasSuffix(f, "]") })
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated [options]", n)
			}
			for _, opt := range fields[:end+1] {
				k, v, _ := strings.Cut(strings.Trim(opt, "[]"), "=")
				if strings.EqualFold(k, "signed-by") {
					keyring = v
				}
			}
			fields = fields[end+1:]
		}
		if len(fields) < 2 {
			return nil, fmt.Errorf("line %d: want URI and suite", n)
		}
		archives = append(archives, Archive{
			Mirror: strings.TrimSuffix(fields[0], "/"), Suite: fields[1],
			Components: fields[2:], Keyring: keyring,
		})
	}
	return archives, sc.Err()
}

// parseDeb822 reads apt's deb822 format (*.sources): paragraphs with Types,
// URIs, Suites, Components, Signed-By and Enabled.
func parseDeb822(r io.Reader) ([]Archive, error) {
	pr, err := control.NewParagraphReader(r, nil)
	if err != nil {
		return nil, err
	}
	var archives []Archive
	for {
		p, err := pr.Next()
		if err == io.EOF {
			return archives, nil
		}
		if err != nil {
			return nil, err
		}
		field := func(key string) string {
			for k, v := range p.Values {
				if strings.EqualFold(k, key) {
					return strings.TrimSpace(v)
				}
			}
			return ""
		}

		if !slices.Contains(strings.Fields(field("Types")), "deb") ||
			strings.EqualFold(field("Enabled"), "no") {
			continue
		}
		uris, suites := strings.Fields(field("URIs")), strings.Fields(field("Suites"))
		if len(uris) == 0 || len(suites) == 0 {
			return nil, fmt.Errorf("entry of types %q: want URIs and Suites", field("Types"))
		}
		keyring := field("Signed-By")
		if strings.Contains(keyring, "BEGIN PGP") || strings.Contains(keyring, "\n") {
			// TODO: keys embedded in Signed-By are not read; a user whose
			// source embeds its key gets this error and must name a file.
			return nil, fmt.Errorf("entry for %s: Signed-By holds an embedded key; name a keyring file", uris[0])
		}
		for _, uri := range uris {
			for _, suite := range suites {
				archives = append(archives, Archive{
					Mirror: strings.TrimSuffix(uri, "/"), Suite: suite,
					Components: strings.Fields(field("Components")), Keyring: keyring,
				})
			}
		}
	}
}
