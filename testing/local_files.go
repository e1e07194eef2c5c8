package crosstest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/runner"
)

// PortOpen dials the port in the service's network namespace, on the
// service's address and on its loopback.
func (l *Local) PortOpen(ctx context.Context, service string, port int) (bool, error) {
	st, err := l.running()
	if err != nil {
		return false, err
	}
	sv, err := st.Service(service)
	if err != nil {
		return false, err
	}
	open := false
	err = inNetns(sv.Netns, func() {
		for _, host := range []string{sv.IP, "127.0.0.1"} {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), time.Second)
			if err == nil {
				c.Close()
				open = true
				return
			}
		}
	})
	return open, err
}

// inNetns runs f on a thread inside the network namespace at path. The
// thread is never returned to Go's pool: it ends with the goroutine.
func inNetns(path string, f func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPath(path)
		if err != nil {
			errc <- fmt.Errorf("netns %s: %w", path, err)
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", path, err)
			return
		}
		f()
		errc <- nil
	}()
	return <-errc
}

// File reads path from a running service (through /proc/PID/root, with
// the container's root as a hard boundary) or from an image's layers.
//
// TODO: a service that has exited can't be read ("service X is not
// running"), though its writable layer is still there; read it from the
// container's upper folder over the image's layers instead.
func (l *Local) File(ctx context.Context, from Source, path string) (File, error) {
	if from.Service != "" {
		st, err := l.running()
		if err != nil {
			return File{}, err
		}
		state, err := l.stacks.Inspect(ctx, st, from.Service)
		if err != nil {
			return File{}, err
		}
		if state.Pid == 0 {
			return File{}, fmt.Errorf("service %s is not running", from.Service)
		}
		return readIn([]string{fmt.Sprintf("/proc/%d/root", state.Pid)}, path)
	}
	img, err := l.image(ctx, from.Image)
	if err != nil {
		return File{}, err
	}
	top := make([]string, len(img.Layers))
	for i, layer := range img.Layers {
		top[len(img.Layers)-1-i] = layer
	}
	return readIn(top, path)
}

// readIn reads path from the first of roots (topmost layer first) that
// holds it. A whiteout (a 0/0 character device) hides lower layers.
func readIn(roots []string, path string) (File, error) {
	for _, root := range roots {
		full, err := securejoin.SecureJoin(root, path)
		if err != nil {
			return File{}, fmt.Errorf("%s: %w", path, err)
		}
		fi, err := os.Stat(full)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return File{}, fmt.Errorf("%s: %w", path, err)
		}
		if fi.Mode()&fs.ModeCharDevice != 0 {
			if sys, ok := fi.Sys().(*unix.Stat_t); ok && sys.Rdev == 0 {
				break // whiteout
			}
		}
		f := File{Path: path, Mode: fi.Mode()}
		if fi.Mode().IsRegular() {
			if f.Data, err = os.ReadFile(full); err != nil {
				return File{}, fmt.Errorf("%s: %w", path, err)
			}
			if info, err := binfmt.IdentifyFile(full); err == nil {
				p := info.Platform()
				f.Platform = p.OS + "/" + p.Architecture
				if p.Variant != "" {
					f.Platform += "/" + p.Variant
				}
			}
		}
		return f, nil
	}
	return File{}, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
}

// ImageConfig returns the config of a service's image or a named image,
// for the target's platform.
func (l *Local) ImageConfig(ctx context.Context, from Source) (ImageConfig, error) {
	ref := from.Image
	if from.Service != "" {
		st, err := l.running()
		if err != nil {
			return ImageConfig{}, err
		}
		state, err := l.stacks.Inspect(ctx, st, from.Service)
		if err != nil {
			return ImageConfig{}, err
		}
		ref = state.Image
	}
	img, err := l.image(ctx, ref)
	if err != nil {
		return ImageConfig{}, err
	}
	return configOf(img), nil
}

func configOf(img runner.Image) ImageConfig {
	c := img.Config
	out := ImageConfig{Platform: img.Platform, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd,
		WorkingDir: c.WorkingDir}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	sort.Strings(out.ExposedPorts)
	return out
}

var _ Target = (*Local)(nil)
