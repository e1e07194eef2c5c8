package stack

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossdock/crossdock/internal/stacktest"
	"github.com/crossdock/crossdock/runner"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stacktest.Cleanup()
	os.Exit(code)
}

// newStacks returns Stacks on a runtime rooted in a fresh folder, with the
// stackapp image. It needs root and runc.
func newStacks(t *testing.T) (*Stacks, *runner.Runtime, string) {
	t.Helper()
	rt, _, root := stacktest.Runtime(t)
	return New(rt, root), rt, root
}

func needPlatform(t *testing.T, platform string) { stacktest.NeedPlatform(t, platform) }

func writeStack(t *testing.T, content string) *File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
