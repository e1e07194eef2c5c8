package debian

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"pault.ag/go/debian/control"
)

// dpkgDatabase makes dpkg's record of the installed packages: the status
// file and, for each package, info/NAME.list (its files) and
// info/NAME.md5sums (copied from the .deb), as dpkg itself would leave them.
//
// TODO: the maintainer scripts, triggers and the "available" file are not
// written; dpkg -l, dpkg -L, dpkg -V and scanners work, but removing or
// upgrading a package with dpkg inside the image skips its scripts.
func (f *fixer) dpkgDatabase() ([]Entry, error) {
	debs := slices.Clone(f.debs)
	slices.SortStableFunc(debs, func(x, y Deb) int { return strings.Compare(x.Name, y.Name) })
	debs = slices.CompactFunc(debs, func(x, y Deb) bool { return x.Name == y.Name })

	var status bytes.Buffer
	var out []Entry
	for _, d := range debs {
		ctl := f.control[d.Name]
		para, err := statusParagraph(ctl["control"], f.conffiles(d))
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", d.Name, err)
		}
		status.Write(para)

		// The .deb's own control file says whether the package is
		// Multi-Arch: same (its info files are then NAME:ARCH.*); the
		// caller's Package may come from a lockfile that does not record it.
		fields, err := controlFields(ctl["control"])
		if err != nil {
			return nil, fmt.Errorf("package %s: control: %w", d.Name, err)
		}
		info := "var/lib/dpkg/info/" + d.Name
		if fields["Multi-Arch"] == "same" {
			info += ":" + fields["Architecture"]
		}
		list := []string{"/."}
		for _, name := range f.files[d.Name] {
			list = append(list, "/"+name)
		}
		out = append(out, fileEntry(info+".list", 0o644, []byte(strings.Join(list, "\n")+"\n")))
		if sums, ok := ctl["md5sums"]; ok {
			out = append(out, fileEntry(info+".md5sums", 0o644, sums))
		}
	}
	// format 1: info files of Multi-Arch: same packages are NAME:ARCH.*
	out = append(out, fileEntry("var/lib/dpkg/info/format", 0o644, []byte("1\n")))
	return append(out, fileEntry("var/lib/dpkg/status", 0o644, status.Bytes())), nil
}

// statusParagraph is a package's control file with the Status field dpkg
// adds on install, and its Conffiles with their md5sums.
func statusParagraph(control []byte, conffiles []string) ([]byte, error) {
	text := strings.TrimRight(string(control), "\n")
	if !strings.HasPrefix(text, "Package:") {
		return nil, fmt.Errorf("control file does not start with Package")
	}
	pkgLine, rest, _ := strings.Cut(text, "\n")

	var b strings.Builder
	b.WriteString(pkgLine + "\nStatus: install ok installed\n")
	if rest != "" {
		b.WriteString(rest + "\n")
	}
	if len(conffiles) > 0 {
		b.WriteString("Conffiles:\n")
		for _, c := range conffiles {
			b.WriteString(" " + c + "\n")
		}
	}
	b.WriteString("\n")
	return []byte(b.String()), nil
}

// controlFields parses a control file's single paragraph.
func controlFields(data []byte) (map[string]string, error) {
	pr, err := control.NewParagraphReader(bytes.NewReader(data), nil)
	if err != nil {
		return nil, err
	}
	p, err := pr.Next()
	if err != nil {
		return nil, err
	}
	return p.Values, nil
}

// conffileNames reads a control.tar conffiles file: one absolute path a
// line, perhaps after flags such as remove-on-upgrade.
func conffileNames(data []byte) []string {
	var names []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "remove-on-upgrade" {
			continue // a file to remove is not installed
		}
		names = append(names, f[len(f)-1])
	}
	return names
}

// conffiles lists "PATH MD5" for each of a package's conffiles that its
// data holds, in the order of its conffiles file.
func (f *fixer) conffiles(d Deb) []string {
	var out []string
	for _, name := range conffileNames(f.control[d.Name]["conffiles"]) {
		if sum, ok := f.confSums[strings.TrimPrefix(name, "/")]; ok {
			out = append(out, name+" "+sum)
		}
	}
	return out
}

func md5hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}
