package builder

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// target is one platform the builder can make an image for, with the names
// each toolchain uses for it.
type target struct {
	Platform v1.Platform
	GOARCH   string
	GOARM    string // "7" for arm/v7, empty otherwise
	Debian   string // Debian architecture: armhf, amd64, arm64
}

// String is the OCI platform string, with the variant when there is one.
func (t target) String() string {
	s := t.Platform.OS + "/" + t.Platform.Architecture
	if t.Platform.Variant != "" {
		s += "/" + t.Platform.Variant
	}
	return s
}

// parsePlatform accepts linux/amd64, linux/arm64 and linux/arm[/v7];
// linux/arm means linux/arm/v7.
func parsePlatform(s string) (target, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "linux" {
		return target{}, fmt.Errorf("platform %q: want linux/ARCH[/VARIANT]", s)
	}
	variant := ""
	if len(parts) == 3 {
		variant = parts[2]
	}
	t := target{Platform: v1.Platform{OS: "linux", Architecture: parts[1]}}
	switch {
	case parts[1] == "amd64" && variant == "":
		t.GOARCH, t.Debian = "amd64", "amd64"
	case parts[1] == "arm64" && (variant == "" || variant == "v8"):
		t.GOARCH, t.Debian = "arm64", "arm64"
		t.Platform.Variant = variant
	case parts[1] == "arm" && (variant == "" || variant == "v7"):
		t.GOARCH, t.GOARM, t.Debian = "arm", "7", "armhf"
		t.Platform.Variant = "v7"
	default:
		return target{}, fmt.Errorf("platform %q: not supported "+
			"(linux/amd64, linux/arm/v7, linux/arm64)", s)
	}
	return t, nil
}

// parsePlatforms parses a list and rejects duplicates.
func parsePlatforms(list []string) ([]target, error) {
	var out []target
	seen := map[string]bool{}
	for _, s := range list {
		t, err := parsePlatform(s)
		if err != nil {
			return nil, err
		}
		if seen[t.String()] {
			return nil, fmt.Errorf("platform %q named twice", s)
		}
		seen[t.String()] = true
		out = append(out, t)
	}
	return out, nil
}
