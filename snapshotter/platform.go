package snapshotter

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// ErrNoPlatform is wrapped by the error returned when an index has no
// manifest for the requested platform. The error text names the platform
// asked for and lists those on offer.
var ErrNoPlatform = errors.New("no manifest for platform")

// AttestationAnnotation is the annotation key BuildKit sets on index entries
// that carry provenance or SBOM attestations rather than a runnable image.
const AttestationAnnotation = "vnd.docker.reference.type"

// knownArch lists the architectures ParsePlatform accepts.
var knownArch = []string{"386", "amd64", "arm", "arm64", "loong64", "mips64le",
	"ppc64le", "riscv64", "s390x"}

// knownOS lists the operating systems ParsePlatform accepts.
var knownOS = []string{"linux", "windows", "darwin", "freebsd"}

// arm64Variants are the variants an arm64 platform may carry once
// normalized ("" stands for v8).
var arm64Variants = []string{"", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6",
	"v8.7", "v8.8", "v8.9", "v9", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"}

// HostPlatform is the platform of the machine crossdock runs on, with the
// variant filled in where one applies (linux/arm means linux/arm/v7).
func HostPlatform() v1.Platform {
	return toV1(platforms.Normalize(platforms.DefaultSpec()))
}

// ParsePlatform parses an OCI platform string such as "linux/arm/v7" and
// normalizes it: "linux/arm" becomes linux/arm/v7, "linux/aarch64" becomes
// linux/arm64. The empty string means the host's platform. Anything that is
// not a known OS and architecture is an errdefs.Invalid error naming s.
func ParsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		return HostPlatform(), nil
	}
	p, err := platforms.Parse(s)
	if err != nil || strings.Count(s, "/") == 0 {
		return v1.Platform{}, errdefs.Invalid(fmt.Errorf("platform %q: want OS/ARCH[/VARIANT], such as linux/arm/v7", s))
	}
	p = platforms.Normalize(p)
	if !slices.Contains(knownOS, p.OS) {
		return v1.Platform{}, errdefs.Invalid(fmt.Errorf("platform %q: unknown OS %q", s, p.OS))
	}
	if !slices.Contains(knownArch, p.Architecture) {
		return v1.Platform{}, errdefs.Invalid(fmt.Errorf("platform %q: unknown architecture %q", s, p.Architecture))
	}
	if !validVariant(p) {
		return v1.Platform{}, errdefs.Invalid(fmt.Errorf("platform %q: %s has no variant %q", s, p.Architecture, p.Variant))
	}
	return toV1(p), nil
}

// validVariant reports whether a normalized platform's variant exists for
// its architecture. It guards against entries such as linux/arm64/v7, which
// some tools write for 32-bit images.
func validVariant(p specs.Platform) bool {
	switch p.Architecture {
	case "arm":
		return slices.Contains([]string{"v5", "v6", "v7", "v8"}, p.Variant)
	case "arm64":
		return slices.Contains(arm64Variants, p.Variant)
	case "amd64":
		return slices.Contains([]string{"", "v2", "v3", "v4"}, p.Variant)
	default:
		return true
	}
}

// FormatPlatform writes p as OS/ARCH[/VARIANT], after normalizing it.
func FormatPlatform(p v1.Platform) string {
	n := platforms.Normalize(toSpec(p))
	if n.Variant == "" {
		return n.OS + "/" + n.Architecture
	}
	return n.OS + "/" + n.Architecture + "/" + n.Variant
}

// IsAttestation reports whether an index entry holds attestations (SBOM,
// provenance) rather than an image for a platform.
func IsAttestation(d v1.Descriptor) bool {
	if d.Annotations[AttestationAnnotation] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// runnable reports whether an index entry is an image manifest for a real
// platform: not an attestation, not a nested index, not a platform-less blob,
// and not a platform with an impossible variant.
func runnable(d v1.Descriptor) bool {
	if IsAttestation(d) || d.Platform == nil || !d.MediaType.IsImage() {
		return false
	}
	return validVariant(platforms.Normalize(toSpec(*d.Platform)))
}

// Platforms lists the platforms an index offers, in index order, skipping
// attestation entries and entries with an impossible variant.
func Platforms(idx v1.ImageIndex) ([]v1.Platform, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read index manifest: %w", err)
	}
	var out []v1.Platform
	for _, d := range im.Manifests {
		if runnable(d) {
			out = append(out, toV1(platforms.Normalize(toSpec(*d.Platform))))
		}
	}
	return out, nil
}

// SelectManifest picks the index entry that best runs on platform ("" means
// the host's). Variants fall back the usual way (arm/v7 takes v7, then v6,
// then v5; an entry without a variant counts as the default one), but the
// architecture never changes: an arm request never gets arm64 or 386. The
// order of the entries never changes the choice. With no match the error
// wraps ErrNoPlatform and lists the platforms on offer.
func SelectManifest(idx v1.ImageIndex, platform string) (v1.Descriptor, error) {
	want, err := ParsePlatform(platform)
	if err != nil {
		return v1.Descriptor{}, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("read index manifest: %w", err)
	}
	return selectFrom(im.Manifests, want)
}

func selectFrom(descs []v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	wantSpec := toSpec(want)
	m := platforms.Only(wantSpec)
	var best *v1.Descriptor
	for i := range descs {
		d := descs[i]
		if !runnable(d) {
			continue
		}
		got := toSpec(*d.Platform)
		if platforms.Normalize(got).Architecture != wantSpec.Architecture || !m.Match(got) {
			continue
		}
		if best == nil || better(m, d, *best) {
			best = &descs[i]
		}
	}
	if best == nil {
		return v1.Descriptor{}, noPlatform(want, descs)
	}
	return *best, nil
}

// better reports whether a is a better pick than b: a closer platform, or
// for equally close ones, the lower digest, so that order does not matter.
func better(m platforms.MatchComparer, a, b v1.Descriptor) bool {
	pa, pb := toSpec(*a.Platform), toSpec(*b.Platform)
	if m.Less(pa, pb) {
		return true
	}
	if m.Less(pb, pa) {
		return false
	}
	return a.Digest.String() < b.Digest.String()
}

// noPlatform builds the ErrNoPlatform error, listing every entry on
// offer: the runnable platforms, then, marked, the entries that are not
// (an impossible variant such as linux/arm64/v7, a nested index, an entry
// without a platform). Attestations are not platforms and are left out.
func noPlatform(want v1.Platform, descs []v1.Descriptor) error {
	var offer []string
	for _, d := range descs {
		switch {
		case IsAttestation(d):
		case runnable(d):
			offer = append(offer, FormatPlatform(*d.Platform))
		case d.MediaType.IsIndex():
			offer = append(offer, fmt.Sprintf("a nested index %s (not searched)", short(d.Digest)))
		case d.Platform == nil:
			offer = append(offer, fmt.Sprintf("an entry without a platform %s", short(d.Digest)))
		default:
			p := d.Platform
			offer = append(offer, fmt.Sprintf("%s/%s/%s (not a valid platform)", p.OS, p.Architecture, p.Variant))
		}
	}
	list := "none"
	if len(offer) > 0 {
		list = strings.Join(offer, ", ")
	}
	return errdefs.NotFound(fmt.Errorf("%w %s (on offer: %s)", ErrNoPlatform, FormatPlatform(want), list))
}

// short is a digest cut to sha256: and 12 hex digits, as images shows it.
func short(h v1.Hash) string {
	s := h.String()
	if len(s) > len("sha256:")+12 {
		return s[:len("sha256:")+12]
	}
	return s
}

// Choice says which index entry Pull picked for the platform asked for.
type Choice struct {
	Requested v1.Platform
	Chosen    v1.Platform
	Digest    v1.Hash // of the chosen manifest
	Fallback  string  // why a different platform was chosen; "" for an exact match
}

// explainChoice fills Fallback when chosen is not the platform asked for.
func explainChoice(want v1.Platform, d v1.Descriptor) Choice {
	c := Choice{Requested: want, Digest: d.Digest}
	if d.Platform != nil {
		c.Chosen = toV1(platforms.Normalize(toSpec(*d.Platform)))
	}
	if FormatPlatform(c.Chosen) != FormatPlatform(want) {
		c.Fallback = fmt.Sprintf("the index has no %s entry; %s is the closest that runs on it (variants fall back to older ones, such as arm v7 to v6 to v5)",
			FormatPlatform(want), FormatPlatform(c.Chosen))
	}
	return c
}

func toSpec(p v1.Platform) specs.Platform {
	return specs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant,
		OSVersion: p.OSVersion, OSFeatures: p.OSFeatures}
}

func toV1(p specs.Platform) v1.Platform {
	return v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant,
		OSVersion: p.OSVersion, OSFeatures: p.OSFeatures}
}
