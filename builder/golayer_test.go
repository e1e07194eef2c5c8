package builder

import (
	"context"
	"errors"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/errdefs"
)

func TestGoRefusesANonMainPackage(t *testing.T) {
	p := writeSpec(t, "name: a/b:1\nplatforms: [linux/amd64]\nlayers:\n  - go:\n      packages: [./lib]\n",
		map[string]string{
			"go.mod":     "module example.com/m\n\ngo 1.22\n",
			"lib/lib.go": "package lib\n\nfunc F() {}\n",
		})
	s, err := Load(p)
	assert.NilError(t, err)
	_, err = Build(context.Background(), s, WithCacheDir(t.TempDir()))
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), err)
	assert.ErrorContains(t, err, p+":4: go package ./lib (example.com/m/lib) is package lib, not a main package")
}

func TestALayerReplacingAnotherLayersFileIsWarned(t *testing.T) {
	p := writeSpec(t, `name: a/b:1
layers:
  - go:
      packages: [./cmd/x]
  - files:
      - {src: f, dest: /usr/bin/y}
      - {src: f, dest: /usr/bin/x}
`, map[string]string{
		"go.mod":        "module example.com/m\n\ngo 1.22\n",
		"cmd/x/main.go": "package main\n\nfunc main() {}\n",
		"f":             "#!/bin/sh\n",
	})
	s, err := Load(p)
	assert.NilError(t, err)
	var warnings []string
	_, err = Build(context.Background(), s, WithCacheDir(t.TempDir()), WithProgress(func(e Event) {
		if e.Step == "warning" {
			warnings = append(warnings, e.Detail)
		}
	}))
	assert.NilError(t, err)
	assert.DeepEqual(t, warnings, []string{p + ":7: /usr/bin/x replaces the one layer 1 puts there (" + p + ":3)"})
}
