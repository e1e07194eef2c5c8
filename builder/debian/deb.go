package debian

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"pault.ag/go/debian/deb"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// maxControlFile bounds one file read from a .deb's control.tar.
const maxControlFile = 16 << 20

// DataEntries calls fn for each entry of the .deb's data.tar (compressed
// with xz, gzip, zstd, bzip2 or not at all), in archive order. fn may read
// the entry's content from r until it returns.
//
// Names are made relative and clean: "./usr/bin/x" becomes "usr/bin/x", a
// folder "./usr/" becomes "usr", and the archive's root entry "./" is
// skipped. Hard link targets are cleaned the same way; symlink targets are
// left as written. An entry that climbs out of the root ("../x") fails,
// naming the .deb and the entry.
func DataEntries(debPath string, fn func(hdr *tar.Header, r io.Reader) error) error {
	return withMember(debPath, "data.tar", func(member string, r io.Reader) error {
		return walkData(debPath, member, r, fn)
	})
}

// walkData walks a decompressed data.tar stream, cleaning names as
// DataEntries describes.
func walkData(debPath, member string, r io.Reader, fn func(hdr *tar.Header, r io.Reader) error) error {
	return walkTar(debPath, member, r, func(hdr *tar.Header, r io.Reader) error {
		name, err := cleanName(hdr.Name)
		if err != nil {
			return err
		}
		if name == "" {
			return nil
		}
		hdr.Name = name
		if hdr.Typeflag == tar.TypeLink {
			if hdr.Linkname, err = cleanName(hdr.Linkname); err != nil {
				return err
			}
		}
		return fn(hdr, r)
	})
}

// cleanName makes an archive path relative and clean, refusing ones that
// climb out of the root.
func cleanName(name string) (string, error) {
	clean := path.Clean("/" + name)
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", errdefs.Invalid(fmt.Errorf("entry %q climbs out of the root", name))
		}
	}
	return strings.TrimPrefix(clean, "/"), nil
}

// controlFiles reads the small files of the .deb's control.tar (control,
// postinst, md5sums, conffiles, ...), keyed by their clean name.
func controlFiles(debPath string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := withMember(debPath, "control.tar", func(member string, r io.Reader) error {
		return walkTar(debPath, member, r, func(hdr *tar.Header, r io.Reader) error {
			if hdr.Typeflag != tar.TypeReg {
				return nil
			}
			data, err := io.ReadAll(io.LimitReader(r, maxControlFile+1))
			if err != nil {
				return err
			}
			if len(data) > maxControlFile {
				return fmt.Errorf("control file %s larger than %d bytes", hdr.Name, maxControlFile)
			}
			name, err := cleanName(hdr.Name)
			if err != nil {
				return err
			}
			files[name] = data
			return nil
		})
	})
	return files, err
}

// withMember calls fn with the decompressed content of the .deb's member
// whose name starts with prefix ("data.tar" or "control.tar").
func withMember(debPath, prefix string, fn func(member string, r io.Reader) error) error {
	f, err := os.Open(debPath)
	if err != nil {
		return fmt.Errorf("read deb: %w", err)
	}
	defer f.Close()

	ar, err := deb.LoadAr(f)
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("deb %s: %w", debPath, err))
	}
	for {
		member, err := ar.Next()
		if err == io.EOF {
			return errdefs.Invalid(fmt.Errorf("deb %s: no %s member", debPath, prefix))
		}
		if err != nil {
			return errdefs.Invalid(fmt.Errorf("deb %s: %w", debPath, err))
		}
		if member.Name != prefix && !strings.HasPrefix(member.Name, prefix+".") {
			continue
		}
		rc, err := deb.DecompressorFor(filepath.Ext(member.Name))(member.Data)
		if err != nil {
			return errdefs.Invalid(fmt.Errorf("deb %s: %s: %w", debPath, member.Name, err))
		}
		defer rc.Close()
		return fn(member.Name, rc)
	}
}

// walkTar calls fn for each entry of a tar stream read from member.
func walkTar(debPath, member string, r io.Reader, fn func(hdr *tar.Header, r io.Reader) error) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errdefs.Invalid(fmt.Errorf("deb %s: %s: %w", debPath, member, err))
		}
		name := hdr.Name
		if err := fn(hdr, tr); err != nil {
			return fmt.Errorf("deb %s: %s: %s: %w", debPath, member, name, err)
		}
	}
}
