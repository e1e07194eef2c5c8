package debian

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// alternative is one "update-alternatives --install" call: PATH offered
// for the link group NAME at a priority, with its slave links.
type alternative struct {
	link, name, path string
	priority         int
	slaves           []slave
	pkg              string
}

type slave struct{ link, name, path string }

// parseAlternatives finds the update-alternatives --install calls in a
// maintainer script. Lines continued with a backslash are joined first.
// A call whose arguments use shell variables or command substitution is
// skipped, since the script is not run.
//
// TODO: calls built from shell variables or loops (a few packages install
// alternatives for a list of names) are not seen; their links are missing
// from the image.
func parseAlternatives(script []byte, pkg string) []alternative {
	joined := strings.ReplaceAll(string(script), "\\\n", " ")
	var alts []alternative
	for _, line := range strings.Split(joined, "\n") {
		var fields []string
		for _, f := range strings.Fields(line) {
			// "5;" ends a command as "5 ;" does.
			if w, ok := strings.CutSuffix(f, ";"); ok && w != "" {
				fields = append(fields, w, ";")
				continue
			}
			fields = append(fields, f)
		}
		i := slices.IndexFunc(fields, func(f string) bool {
			return f == "update-alternatives" || strings.HasSuffix(f, "/update-alternatives")
		})
		if i < 0 {
			continue
		}
		alts = append(alts, parseInstall(fields[i+1:], pkg)...)
	}
	return alts
}

// parseInstall reads the arguments after "update-alternatives".
func parseInstall(args []string, pkg string) []alternative {
	var alts []alternative
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case ";", "&&", "||", "|", "then", "fi", "done":
			return alts
		case "--install":
			if i+4 >= len(args) {
				return alts
			}
			link, name, path, prio := unquote(args[i+1]), unquote(args[i+2]), unquote(args[i+3]), unquote(args[i+4])
			p, err := strconv.Atoi(prio)
			i += 4
			alt := alternative{link: link, name: name, path: path, priority: p, pkg: pkg}
			for i+4 < len(args) && args[i+1] == "--slave" {
				alt.slaves = append(alt.slaves, slave{
					link: unquote(args[i+2]), name: unquote(args[i+3]), path: unquote(args[i+4]),
				})
				i += 4
			}
			if err != nil || !literal(alt) {
				continue
			}
			alts = append(alts, alt)
		}
	}
	return alts
}

func unquote(s string) string {
	return strings.Trim(s, `"'`)
}

// literal reports whether an alternative's words are plain text, with no
// shell expansion left in them: links and paths absolute, names bare.
func literal(a alternative) bool {
	paths := []string{a.link, a.path}
	names := []string{a.name}
	for _, s := range a.slaves {
		paths = append(paths, s.link, s.path)
		names = append(names, s.name)
	}
	for _, w := range append(paths, names...) {
		if w == "" || strings.ContainsAny(w, "$`*?[]{}();&|<>\\") {
			return false
		}
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return false
		}
	}
	for _, n := range names {
		if strings.Contains(n, "/") {
			return false
		}
	}
	return true
}

// alternatives chooses, for every link group, the alternative
// update-alternatives would pick in auto mode (highest priority; on a tie
// the path that sorts first) among those whose path exists, and returns the
// links and the admin file that records the choice.
func (f *fixer) alternatives() []Entry {
	groups := map[string][]alternative{}
	for _, d := range f.debs {
		for _, a := range parseAlternatives(f.control[d.Name]["postinst"], d.Name) {
			if _, ok := f.seen[strings.TrimPrefix(a.path, "/")]; ok {
				groups[a.name] = append(groups[a.name], a)
			}
		}
	}

	var out []Entry
	for _, name := range sortedKeys(groups) {
		alts := groups[name]
		slices.SortFunc(alts, func(x, y alternative) int {
			return cmp.Or(cmp.Compare(y.priority, x.priority), strings.Compare(x.path, y.path))
		})
		// The master link is the one of the chosen alternative; the
		// packages of one group agree on it in practice.
		best := alts[0]
		out = append(out, f.altLink(best.link, name, best.path)...)
		for _, s := range best.slaves {
			if _, ok := f.seen[strings.TrimPrefix(s.path, "/")]; ok {
				out = append(out, f.altLink(s.link, s.name, s.path)...)
			}
		}
		out = append(out, fileEntry("var/lib/dpkg/alternatives/"+name, 0o644, altAdmin(alts)))
	}
	return out
}

// altLink makes LINK -> /etc/alternatives/NAME -> PATH, unless a package
// ships LINK itself (update-alternatives does not replace real files).
func (f *fixer) altLink(link, name, path string) []Entry {
	rel := strings.TrimPrefix(link, "/")
	if _, shipped := f.seen[rel]; shipped {
		return nil
	}
	return []Entry{
		symlinkEntry(rel, "/etc/alternatives/"+name),
		symlinkEntry("etc/alternatives/"+name, path),
	}
}

// altAdmin writes update-alternatives' record of a link group (its admin
// file), so that update-alternatives --display and --config work in the
// image: mode, master link, slave names and links, then each alternative's
// path, priority and slave paths.
func altAdmin(alts []alternative) []byte {
	var b strings.Builder
	b.WriteString("auto\n" + alts[0].link + "\n")
	var slaveNames []string
	slaveLinks := map[string]string{}
	for _, a := range alts {
		for _, s := range a.slaves {
			if _, ok := slaveLinks[s.name]; !ok {
				slaveNames = append(slaveNames, s.name)
				slaveLinks[s.name] = s.link
			}
		}
	}
	slices.Sort(slaveNames)
	for _, n := range slaveNames {
		b.WriteString(n + "\n" + slaveLinks[n] + "\n")
	}
	b.WriteString("\n")
	for _, a := range alts {
		b.WriteString(a.path + "\n" + strconv.Itoa(a.priority) + "\n")
		for _, n := range slaveNames {
			i := slices.IndexFunc(a.slaves, func(s slave) bool { return s.name == n })
			if i >= 0 {
				b.WriteString(a.slaves[i].path)
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
	return []byte(b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
