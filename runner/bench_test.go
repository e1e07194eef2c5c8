package runner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BenchmarkStartToExit times a static hello container from start to exit:
// `crossdock run --rm IMAGE` (the real binary, as a user runs it) against
// `runc run` of the same bundle on a plain rootfs folder, natively and for
// linux/arm/v7 under qemu-user. Goal: crossdock within 1.3x of runc.
//
//	go test -run '^$' -bench StartToExit -benchtime 20x ./runner/
func BenchmarkStartToExit(b *testing.B) {
	crossdockBin := filepath.Join(b.TempDir(), "crossdock")
	if err := goBuild(crossdockBin, "../cmd/crossdock", "amd64", ""); err != nil {
		b.Fatal(err)
	}
	for _, platform := range testPlatforms {
		needContainers(b)
		if platform != hostPlatform() {
			needHandlerB(b, platform)
		}
		img := probeRootfs(b, platform)
		root := b.TempDir()
		arch := map[string]string{"linux/amd64": "amd64", "linux/arm/v7": "arm"}[platform]
		variant := map[string]string{"linux/arm/v7": "v7"}[platform]
		storeImageB(b, root, "bench/hello:"+arch, v1.Platform{OS: "linux", Architecture: arch, Variant: variant},
			img.Layers[0])

		bundle := runcBundle(b, img, crossdockBin)
		b.Run(platform, func(b *testing.B) {
			var crossdock, runc []time.Duration
			for i := 0; i < b.N; i++ {
				// Alternate the two, so that load from elsewhere on the
				// machine weighs on both alike.
				t0 := time.Now()
				cmd := exec.Command(crossdockBin, "run", "--rm", "--platform", platform,
					"bench/hello:"+arch, "echo", "hello")
				cmd.Env = append(os.Environ(), "CROSSDOCK_ROOT="+root)
				if out, err := cmd.CombinedOutput(); err != nil || string(out) != "[hello]\n" {
					b.Fatalf("crossdock run: %v: %s", err, out)
				}
				t1 := time.Now()
				id := fmt.Sprintf("bench-%d-%d", os.Getpid(), i)
				cmd = exec.Command("runc", "--root", filepath.Join(bundle, "state"), "run", "--bundle", bundle, id)
				if out, err := cmd.CombinedOutput(); err != nil || string(out) != "[hello]\n" {
					b.Fatalf("runc run: %v: %s", err, out)
				}
				crossdock = append(crossdock, t1.Sub(t0))
				runc = append(runc, time.Since(t1))
			}
			// Medians: the machine is shared, and bursts of load from
			// elsewhere would otherwise decide the means.
			c, r := median(crossdock), median(runc)
			b.ReportMetric(float64(c.Microseconds())/1000, "crossdock-median-ms")
			b.ReportMetric(float64(r.Microseconds())/1000, "runc-median-ms")
			b.ReportMetric(float64(c)/float64(r), "median-ratio")
		})
	}
}

// runcBundle writes the bundle crossdock would run for img, with the plain
// layer folder as the rootfs (no overlay) and echo hello as the command.
func runcBundle(b *testing.B, img Image, helper string) string {
	dir := b.TempDir()
	st := State{ID: "bench", Spec: Spec{Hostname: "bench"},
		Process: Process{Args: []string{"/probe", "echo", "hello"}, Env: []string{defaultPath}, WorkingDir: "/"}}
	etc := map[string]string{}
	for _, name := range []string{"hosts", "hostname", "resolv.conf"} {
		etc[name] = filepath.Join(dir, name)
		if err := os.WriteFile(etc[name], []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	err := writeBundle(dir, bundleSpec{st: st, rootfs: img.Layers[0], etc: etc,
		helper: helper, cgroups: "/crossdock/bench"})
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
