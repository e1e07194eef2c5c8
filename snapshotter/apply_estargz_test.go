package snapshotter

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/stargz-snapshotter/estargz"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// eStargz's table of contents and landmarks at a layer's root are not
// applied, in either form; the same names deeper down are the image's own.
func TestApplySkipsEstargzMeta(t *testing.T) {
	ents := []atEnt{
		atFile("a.txt", "a"),
		atFile(estargz.PrefetchLandmark, "\x00"),
		atFile("./"+estargz.NoPrefetchLandmark, "\x00"),
		atDir("sub"),
		atFile("sub/"+estargz.TOCTarName, "mine"),
		atFile(estargz.TOCTarName, `{"version":1}`),
	}
	want := map[string]string{
		"a.txt":                     "file a",
		"sub":                       "dir",
		"sub/" + estargz.TOCTarName: "file mine",
	}
	for _, merged := range []bool{false, true} {
		root := filepath.Join(t.TempDir(), "root")
		assert.NilError(t, os.Mkdir(root, 0o755))
		var opts []ApplyOption
		if merged {
			opts = append(opts, WithMerged())
		}
		assert.NilError(t, Apply(context.Background(), root, bytes.NewReader(atTar(t, ents...)), opts...))
		assert.Check(t, is.DeepEqual(atTree(t, root), want), "merged=%v", merged)
	}
}
