package builder

import (
	"context"
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// noArtifactType keeps GGCR from writing the config media type as the
// index entry's artifactType: that field is for artifacts, not images.
type noArtifactType struct{ v1.Image }

// ArtifactType is empty: the entry is an image.
func (noArtifactType) ArtifactType() (string, error) { return "", nil }

// index builds every platform's image and the index over them.
func (b *build) index(ctx context.Context) (v1.ImageIndex, error) {
	// The platforms are built at the same time; the index lists them in
	// the spec's order whatever finishes first.
	imgs := make([]v1.Image, len(b.targets))
	g, gctx := errgroup.WithContext(ctx)
	for i, t := range b.targets {
		g.Go(func() error {
			img, err := b.image(gctx, t)
			imgs[i] = img
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for i, t := range b.targets {
		p := t.Platform
		adds = append(adds, mutate.IndexAddendum{Add: noArtifactType{imgs[i]},
			Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(idx, adds...), nil
}

// image builds one platform's image: each layer source in order, then the
// config.
func (b *build) image(ctx context.Context, t target) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var base *v1.ConfigFile
	var history []v1.History
	for i := range b.spec.Layers {
		src := &b.spec.Layers[i]
		pin := &b.lock.Layers[i]
		ev := Event{Platform: t.String(), Layer: i + 1, Kind: src.Kind()}
		b.opts.report(withStep(ev, "build", ""))

		if src.Base != nil {
			bimg, err := b.baseImage(ctx, pin.Base, t)
			if err != nil {
				return nil, err
			}
			img, base, history, err = b.fromBase(img, bimg)
			if err != nil {
				return nil, fmt.Errorf("base %s for %s: %w", src.Base.Ref, t, err)
			}
			b.opts.report(withStep(ev, "done", pin.Base.Platforms[t.String()]))
			continue
		}
		rec, err := b.sourceLayer(ctx, i, src, pin, t)
		if err != nil {
			return nil, err
		}
		l := &blobLayer{rec: rec, path: b.blobPath(rec.Digest)}
		h := v1.History{Created: v1.Time{Time: b.epoch},
			CreatedBy: "crossdock " + src.Kind() + " layer " + fmt.Sprint(i+1)}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: h,
			MediaType: types.OCILayer, Annotations: rec.annotations()})
		if err != nil {
			return nil, err
		}
		history = append(history, h)
		b.opts.report(withStep(ev, "done", rec.Digest.String()))
	}
	return b.configure(img, t, base, history)
}

func withStep(e Event, step, detail string) Event {
	e.Step, e.Detail = step, detail
	return e
}

// sourceLayer builds the layer of one non-base source for t.
func (b *build) sourceLayer(ctx context.Context, i int, src *Source, pin *LockedLayer,
	t target) (*layerRecord, error) {
	switch {
	case src.Go != nil:
		return b.goLayer(ctx, i, src.Go, t)
	case src.URoot != nil:
		return b.urootLayer(ctx, pin.URoot, t)
	case src.Files != nil:
		return b.filesLayer(ctx, i, src.Files)
	case src.Debian != nil:
		return b.debianLayer(ctx, i, pin.Debian, t)
	}
	return nil, fmt.Errorf("layer %d: no source", i+1)
}

// configure writes the image config: the platform (with its variant), the
// epoch as created time, the spec's runtime config over the base's, and
// nothing from the host.
func (b *build) configure(img v1.Image, t target, base *v1.ConfigFile,
	history []v1.History) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	if base != nil {
		cf.Config = *base.Config.DeepCopy()
	}
	cf.OS, cf.Architecture, cf.Variant = t.Platform.OS, t.Platform.Architecture, t.Platform.Variant
	cf.OSVersion, cf.OSFeatures = "", nil
	cf.Created = v1.Time{Time: b.epoch}
	cf.Author, cf.Container, cf.DockerVersion = "", "", ""
	cf.History = history

	c := &cf.Config
	c.Hostname, c.Domainname = "", ""
	c.Env = mergeEnv(c.Env, b.spec.Config.Env)
	if b.spec.Config.Workdir != "" {
		c.WorkingDir = b.spec.Config.Workdir
	}
	if b.spec.Config.User != "" {
		c.User = b.spec.Config.User
	}
	if len(b.spec.Config.Entrypoint) > 0 {
		c.Entrypoint = b.spec.Config.Entrypoint
		c.Cmd = nil
	}
	if len(b.spec.Config.Cmd) > 0 {
		c.Cmd = b.spec.Config.Cmd
	}
	for _, p := range b.spec.Config.Ports {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		c.ExposedPorts[p] = struct{}{}
	}
	for _, v := range b.spec.Config.Volumes {
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		c.Volumes[v] = struct{}{}
	}
	for k, v := range b.spec.Config.Labels {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		c.Labels[k] = v
	}
	return mutate.ConfigFile(img, cf)
}

// mergeEnv sets the spec's variables over the base's, keeping the base's
// order and adding new names sorted.
func mergeEnv(base []string, set map[string]string) []string {
	out := append([]string(nil), base...)
	done := map[string]bool{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := set[k]; ok {
			out[i] = k + "=" + v
			done[k] = true
		}
	}
	var keys []string
	for k := range set {
		if !done[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+set[k])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
