package debian

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// DefaultKeyring is the keyring that signs Debian's own archives. It is used
// when an apt source names no Signed-By file.
const DefaultKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// Archive is a Debian archive: the mirror URL, one suite, its components,
// and the keyring that signs the suite's release file.
type Archive struct {
	// Mirror is the archive's base URL, the folder that holds dists/ and
	// pool/, without a trailing slash.
	Mirror string
	// Suite is the distribution name or codename under dists/, e.g. the
	// name after the URI in an apt source line.
	Suite string
	// Components are the archive areas to read, e.g. "main".
	Components []string
	// Keyring is the path of an OpenPGP keyring (binary or armored) that
	// must hold the key that signed InRelease. Empty means DefaultKeyring.
	Keyring string
}

// String names the archive the way apt's one-line format would.
func (a Archive) String() string {
	return fmt.Sprintf("%s %s %s", a.Mirror, a.Suite, strings.Join(a.Components, " "))
}

func (a Archive) keyring() string {
	if a.Keyring == "" {
		return DefaultKeyring
	}
	return a.Keyring
}

// url joins the mirror and a path inside the archive.
func (a Archive) url(path string) string {
	return strings.TrimSuffix(a.Mirror, "/") + "/" + strings.TrimPrefix(path, "/")
}

func (a Archive) validate() error {
	switch {
	case a.Mirror == "":
		return errdefs.Invalid(fmt.Errorf("debian archive %q: no mirror URL", a))
	case a.Suite == "":
		return errdefs.Invalid(fmt.Errorf("debian archive %q: no suite", a))
	case strings.HasSuffix(a.Suite, "/"):
		// TODO: flat repositories ("deb URI path/") are not read; a user
		// naming one gets this error.
		return errdefs.Invalid(fmt.Errorf("debian archive %q: flat repositories are not supported", a))
	case len(a.Components) == 0:
		return errdefs.Invalid(fmt.Errorf("debian archive %q: no components", a))
	}
	return nil
}

// ArchForPlatform maps an OCI platform to the Debian architecture whose
// packages run on it: linux/amd64 is amd64, linux/arm/v7 (or linux/arm with
// no variant, which means v7) is armhf, linux/arm64 is arm64.
//
// linux/arm/v6 and v5 are refused: Debian's armhf needs ARMv7 with VFPv3,
// and armel (the Debian architecture for ARMv5 soft-float) is not offered
// because nothing in crossdock builds or tests it.
func ArchForPlatform(p v1.Platform) (string, error) {
	if p.OS != "linux" {
		return "", errdefs.Invalid(fmt.Errorf("platform %s: Debian packages are for linux only", p))
	}
	switch p.Architecture {
	case "amd64":
		return "amd64", nil
	case "arm64":
		return "arm64", nil
	case "arm":
		switch p.Variant {
		case "", "v7":
			return "armhf", nil
		case "v6":
			return "", errdefs.Invalid(fmt.Errorf(
				"platform %s: Debian has no ARMv6 architecture (armhf needs v7; armel is v5 soft-float)", p))
		case "v5":
			return "", errdefs.Invalid(fmt.Errorf(
				"platform %s: would be Debian armel, which crossdock does not support", p))
		}
	}
	return "", errdefs.Invalid(fmt.Errorf("platform %s: no Debian architecture for it", p))
}
