package binfmt_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	progDir  string
	progMu   sync.Mutex
	progPath = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "binfmt-test-progs-")
	if err != nil {
		panic(err)
	}
	progDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildProg cross-compiles testdata/argv, static, for goarch (and level:
// GOARM for arm, GOAMD64 for amd64), once per test binary, and returns the
// binary's path.
func buildProg(t testing.TB, goarch, goarm string) string {
	t.Helper()
	key := goarch + goarm
	progMu.Lock()
	defer progMu.Unlock()
	if p, ok := progPath[key]; ok {
		return p
	}

	out := filepath.Join(progDir, "argv-"+key)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./testdata/argv")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOARM="+goarm)
	if goarch == "amd64" && goarm != "" {
		cmd.Env = append(cmd.Env, "GOAMD64="+goarm)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build GOARCH=%s GOARM=%s: %v\n%s", goarch, goarm, err, b)
	}
	progPath[key] = out
	return out
}

// hostDynamic returns a dynamically linked program of the host's own
// architecture.
func hostDynamic(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/bin/ls", "/usr/bin/ls"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("no /bin/ls on this %s host", runtime.GOARCH)
	return ""
}
