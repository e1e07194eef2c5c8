package runner

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image is what a container needs from an image: its unpacked layers and
// its config.
type Image struct {
	// Platform is the image's OCI platform, such as "linux/arm/v7".
	Platform string
	// Layers are the image's layer folders in overlayfs form (whiteouts as
	// 0/0 character devices, opaque folders marked with the
	// trusted.overlay.opaque xattr), lowest first. They are shared between
	// containers and never written.
	Layers []string
	// Config holds the defaults: Env, Entrypoint, Cmd, WorkingDir, User.
	Config v1.Config
}

// ImageSource finds (or pulls) an image for a platform ("" = the host's)
// and unpacks its layers.
type ImageSource interface {
	Image(ctx context.Context, ref, platform string) (Image, error)
}

// ImageFunc adapts a function to ImageSource.
type ImageFunc func(ctx context.Context, ref, platform string) (Image, error)

// Image calls f.
func (f ImageFunc) Image(ctx context.Context, ref, platform string) (Image, error) {
	return f(ctx, ref, platform)
}
