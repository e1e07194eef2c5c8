package runner

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountsFor turns the spec's binds and volumes into OCI mounts. A named
// volume is created on first use and, while still unseeded and empty, filled
// with what the image holds at the mount's target.
func (r *Runtime) mountsFor(ctx context.Context, st State, rootfs string) ([]specs.Mount, error) {
	var out []specs.Mount
	for _, m := range st.Spec.Mounts {
		src := m.Source
		if m.Type == "volume" {
			v, err := r.volumeFor(ctx, m.Source, rootfs, m.Target)
			if err != nil {
				return nil, err
			}
			src = v.Mountpoint
		}
		opts := []string{"rbind", "rprivate"}
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		out = append(out, specs.Mount{Destination: m.Target, Type: "bind", Source: src, Options: opts})
	}
	return out, nil
}

func (r *Runtime) volumeFor(ctx context.Context, name, rootfs, target string) (Volume, error) {
	l, err := r.lock(ctx)
	if err != nil {
		return Volume{}, err
	}
	defer l.Unlock()
	v, err := r.createVolume(name, nil)
	if err != nil || v.Seeded {
		return v, err
	}
	if empty, _ := isEmptyDir(v.Mountpoint); empty {
		src, err := securejoin.SecureJoin(rootfs, target)
		if err != nil {
			return v, fmt.Errorf("volume %s: %w", name, err)
		}
		if fi, err := os.Stat(src); err == nil && fi.IsDir() {
			if err := copyTree(src, v.Mountpoint); err != nil {
				return v, fmt.Errorf("seed volume %s from %s: %w", name, target, err)
			}
		}
	}
	v.Seeded = true
	return v, r.writeVolume(v)
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return err == io.EOF, nil
}

// copyTree copies the folder src into dst (which exists), keeping modes,
// owners, times and symlinks as they are. Device nodes, sockets and fifos
// are skipped.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if rel != "." {
				if err := os.Mkdir(to, fi.Mode().Perm()); err != nil {
					return err
				}
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := copyFile(p, to, fi.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil
		}
		return keepMeta(to, fi)
	})
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// keepMeta gives to the owner, mode and times of fi.
func keepMeta(to string, fi fs.FileInfo) error {
	sys, ok := fi.Sys().(*unix.Stat_t)
	if !ok {
		return nil
	}
	if err := os.Lchown(to, int(sys.Uid), int(sys.Gid)); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		if err := os.Chmod(to, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(sys.Atim.Nano()), unix.NsecToTimespec(sys.Mtim.Nano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, to, ts, unix.AT_SYMLINK_NOFOLLOW)
}
