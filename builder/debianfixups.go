package builder

import (
	"fmt"
	"strings"
)

// debianFixupsVersion is part of the debian layers' cache key; bump it when
// debianFixups changes what it writes.
const debianFixupsVersion = 1

// debianFixups does what maintainer scripts would have done and what the
// image needs to work, without running them: the dpkg status database
// (so dpkg -l and apt see the packages), /bin/sh, and the alternatives
// links of the packages that are usually in an image.
//
// TODO: only the alternatives listed in alternatives are made; a package
// whose postinst registers another one (e.g. an editor) has no link for it,
// and users see "command not found" for the generic name.
func debianFixups(tr *tree, pkgs []LockedPackage, t target) error {
	var status strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\n"+
			"Architecture: %s\nVersion: %s\n\n", p.Name, p.Architecture, p.Version)
	}
	tr.addBytes("/var/lib/dpkg/status", []byte(status.String()), 0o644, 0, 0)
	tr.addDir("/var/lib/dpkg/info", 0o755, 0, 0)
	tr.addDir("/tmp", 0o1777, 0, 0)

	if !tr.has("bin/sh") && tr.has("bin/dash") {
		tr.addSymlink("/bin/sh", "dash")
	}
	for _, alt := range alternatives {
		if tr.has(clean(alt.link)) || !tr.has(clean(alt.target)) {
			continue
		}
		tr.addSymlink(alt.link, "/etc/alternatives/"+alt.name)
		tr.addSymlink("/etc/alternatives/"+alt.name, alt.target)
	}
	return nil
}

// alternatives are update-alternatives links that postinst scripts make.
var alternatives = []struct{ name, link, target string }{
	{"awk", "/usr/bin/awk", "/usr/bin/mawk"},
	{"pager", "/usr/bin/pager", "/bin/more"},
	{"which", "/usr/bin/which", "/usr/bin/which.debianutils"},
}

// has reports whether the tree holds name.
func (t *tree) has(name string) bool {
	_, ok := t.entries[clean(name)]
	return ok
}
