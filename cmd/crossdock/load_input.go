package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// loadInput returns a plain tar file for load to read: in itself, or,
// for "-" (stdin) and for a gzip-compressed file (as docker load accepts),
// a temporary copy under root, decompressed, that cleanup removes.
func loadInput(in string, stdin io.Reader, root string) (path string, cleanup func(), err error) {
	var src io.Reader
	if in == "-" {
		src = stdin
	} else {
		f, err := os.Open(in)
		if err != nil {
			return "", nil, errdefs.Invalid(fmt.Errorf("load: %w", err))
		}
		defer f.Close()
		src = f
	}
	br := bufio.NewReader(src)
	magic, _ := br.Peek(2)
	gz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if in != "-" && !gz {
		return in, func() {}, nil
	}
	var r io.Reader = br
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", nil, errdefs.Invalid(fmt.Errorf("load %s: %w", in, err))
		}
		r = zr
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp(root, ".load-*.tar")
	if err != nil {
		return "", nil, fmt.Errorf("load: %w", err)
	}
	cleanup = func() { os.Remove(tmp.Name()) }
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, errdefs.Invalid(fmt.Errorf("load %s: %w", in, err))
	}
	return filepath.Clean(tmp.Name()), cleanup, nil
}
