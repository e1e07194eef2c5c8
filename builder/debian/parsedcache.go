package debian

import (
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"pault.ag/go/debian/version"

	"github.com/crossdock/crossdock/internal/atomicfile"
)

// parsedFormat names the layout of the parsed-index cache files; change it
// when the record below changes.
const parsedFormat = "v2"

// parsedRecord is one package in the parsed-index cache.
type parsedRecord struct {
	Package
	Provides []provide
}

// parsed returns the packages of the verified Packages.xz (or .gz) at path, whose
// sha256 is sum. Decompressing and parsing an index takes seconds, so the
// result is kept next to the download, named by the same sha256; a cache
// file that can't be read is rebuilt.
func (o *options) parsed(path, sum, arch string, gzipped bool) ([]*entry, error) {
	cache := filepath.Join(o.cacheDir, "parsed", parsedFormat+"-"+sum+"-"+arch+".gob")
	if entries, err := readParsed(cache); err == nil {
		return entries, nil
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := parseCompressed(f, arch, gzipped)
	if err != nil {
		return nil, err
	}

	// The cache only saves time: a failure to write it is not an error.
	if os.MkdirAll(filepath.Dir(cache), 0o755) == nil {
		_ = atomicfile.Write(cache, 0o644, func(w io.Writer) error {
			records := make([]parsedRecord, len(entries))
			for i, e := range entries {
				records[i] = parsedRecord{Package: e.Package, Provides: e.provides}
			}
			return gob.NewEncoder(w).Encode(records)
		})
	}
	return entries, nil
}

func readParsed(path string) ([]*entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	var records []parsedRecord
	if err := gob.NewDecoder(f).Decode(&records); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	entries := make([]*entry, len(records))
	for i, r := range records {
		v, err := version.Parse(r.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: package %s: %w", path, r.Name, err)
		}
		entries[i] = &entry{Package: r.Package, version: v, provides: r.Provides}
	}
	return entries, nil
}
