package debian

import (
	"archive/tar"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/testhost"
)

// TestROS measures the whole path for the ROS example on armhf, from an
// empty cache, then again from the warm cache. It downloads about 70 MB, so
// -short skips it:
//
//	go test ./builder/debian -run TestROS -v
func TestROS(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the whole ROS set (-short)")
	}
	ctx := context.Background()
	a := testArchive(t)
	cache := t.TempDir()
	names := []string{"ros-core", "python3-rospy", "python3-std-msgs"}

	for _, pass := range []string{"cold", "warm"} {
		var downloaded, cached atomic.Int64
		progress := WithProgress(func(p Progress) {
			if p.Cached {
				cached.Add(p.Bytes)
			} else {
				downloaded.Add(p.Bytes)
			}
		})

		start := time.Now()
		ix, err := a.Index(ctx, "armhf", WithCacheDir(cache), progress)
		assert.NilError(t, err)
		indexed := time.Now()
		pkgs, err := ix.Resolve(names, ResolveOptions{})
		assert.NilError(t, err)
		resolved := time.Now()
		debs, err := FetchAll(ctx, a, pkgs, cache, progress)
		assert.NilError(t, err)
		fetched := time.Now()

		var entries, unpacked int64
		err = Unpack(debs, func(hdr *tar.Header, r io.Reader) error {
			entries++
			n, err := io.Copy(io.Discard, r)
			unpacked += n
			return err
		})
		assert.NilError(t, err)
		done := time.Now()

		t.Logf("%s: index %v, resolve %v (%d packages, %d bytes of .deb), fetch %v, unpack %v (%d entries, %d bytes); %d bytes downloaded, %d from cache; total %v",
			pass, indexed.Sub(start).Round(time.Millisecond), resolved.Sub(indexed).Round(time.Millisecond),
			len(pkgs), totalSize(pkgs), fetched.Sub(resolved).Round(time.Millisecond),
			done.Sub(fetched).Round(time.Millisecond), entries, unpacked,
			downloaded.Load(), cached.Load(), done.Sub(start).Round(time.Millisecond))
	}

	// With the host's -updates and -security suites merged in, how many
	// of the packages have a newer version there.
	archives, err := HostArchives()
	assert.NilError(t, err)
	var indexes []*Index
	for _, a := range archives {
		ix, err := a.Index(ctx, "armhf", WithCacheDir(cache))
		assert.NilError(t, err)
		indexes = append(indexes, ix)
	}
	merged, err := MergeIndexes(indexes...)
	assert.NilError(t, err)
	pkgs, err := merged.Resolve(names, ResolveOptions{})
	assert.NilError(t, err)
	var updated []string
	for _, p := range pkgs {
		if p.Mirror != archives[0].Mirror {
			updated = append(updated, p.String())
		}
	}
	t.Logf("merged with %d suites: %d packages, %d of them from another suite: %v",
		len(archives), len(pkgs), len(updated), updated)

	// The result runs: rospy imports under emulation.
	debs := fetchDebs(t, "armhf", "python3-rospy", "python3-std-msgs", "dash")
	root := t.TempDir()
	extract(t, root, debs)
	testhost.NeedHandler(t, "arm")
	out := run(t, "chroot", root, "/usr/bin/python3", "-c",
		"import rospy, std_msgs.msg, platform; print(platform.machine(), std_msgs.msg.String(data='hi').data)")
	assert.Equal(t, out, "armv7l hi\n")
}
