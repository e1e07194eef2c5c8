package binfmt

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// variants lists, per architecture, the OCI variants that exist; an
// architecture not listed takes none.
var variants = map[string]*regexp.Regexp{
	"amd64":   regexp.MustCompile(`^v[1-4]$`),
	"arm":     regexp.MustCompile(`^v[5-8]$`),
	"arm64":   regexp.MustCompile(`^v8(\.[0-9])?$|^v9(\.[0-9])?$`),
	"riscv64": regexp.MustCompile(`^rva2[0-3]u64$`),
}

// parsePlatform parses an OCI platform and refuses what no qemu-user
// linux target runs: another OS, or a variant its architecture lacks.
func parsePlatform(platform string) (v1.Platform, error) {
	p, err := platforms.Parse(platform)
	if err != nil {
		return v1.Platform{}, errdefs.Invalid(fmt.Errorf("platform %q: %w", platform, err))
	}
	if p.OS != "linux" {
		return v1.Platform{}, errdefs.Invalid(fmt.Errorf(
			"platform %q: os %s: only linux binaries run here (natively or under qemu-user)", platform, p.OS))
	}
	// platforms.Parse turns arm64/v8 into arm64 and fills in arm's v7;
	// check what was written.
	if parts := strings.Split(platform, "/"); len(parts) == 3 {
		variant := parts[2]
		re := variants[p.Architecture]
		if re == nil || !re.MatchString(variant) {
			return v1.Platform{}, errdefs.Invalid(fmt.Errorf("platform %q: %s has no variant %s", platform, p.Architecture, variant))
		}
	}
	return v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}, nil
}

// amd64Levels are the CPU flags (as /proc/cpuinfo names them) each
// x86-64 microarchitecture level adds to the one before.
var amd64Levels = [][]string{
	2: {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"},
	3: {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
	4: {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}

// amd64Level reads the CPU flags from cpuinfo and returns the highest
// x86-64 level the CPU has, and the flags of the next level it lacks.
func amd64Level(cpuinfo string) (int, []string, error) {
	b, err := os.ReadFile(cpuinfo)
	if err != nil {
		return 0, nil, fmt.Errorf("read CPU flags: %w", err)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "flags" {
			for _, f := range strings.Fields(val) {
				have[f] = true
			}
			break // every CPU lists the same flags
		}
	}
	level := 1
	for l := 2; l < len(amd64Levels); l++ {
		var missing []string
		for _, f := range amd64Levels[l] {
			if !have[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return level, missing, nil
		}
		level = l
	}
	return level, nil, nil
}
