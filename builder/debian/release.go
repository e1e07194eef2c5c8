package debian

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"pault.ag/go/debian/control"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// release is what the signed InRelease file says about a suite.
type release struct {
	url    string              // where InRelease came from
	byHash bool                // Acquire-By-Hash: files can be fetched by digest
	files  map[string]fileHash // path under dists/SUITE/ -> SHA256 and size
	signer string              // the signing key's identity, for reports
}

type fileHash struct {
	sha256 string
	size   int64
}

// fetchRelease downloads dists/SUITE/InRelease, checks its clearsigned
// signature against the archive keyring and parses only the signed text.
func fetchRelease(ctx context.Context, a Archive, o *options) (*release, error) {
	url := a.url("dists/" + a.Suite + "/InRelease")
	data, err := o.get(ctx, url)
	if err != nil {
		return nil, err
	}
	keyring, err := readKeyring(a.keyring())
	if err != nil {
		return nil, err
	}
	return verifyRelease(url, data, keyring, o.now())
}

func readKeyring(path string) (openpgp.EntityList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errdefs.Host(fmt.Errorf("read archive keyring: %w (Debian's is in the debian-archive-keyring package)", err))
	}
	var keys openpgp.EntityList
	if bytes.Contains(data, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
		keys, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		keys, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("read archive keyring %s: %w", path, err))
	}
	return keys, nil
}

// verifyRelease checks the signature of an InRelease file fetched from url
// and parses the signed text. Nothing outside the signed block is read.
func verifyRelease(url string, data []byte, keys openpgp.EntityList, now time.Time) (*release, error) {
	block, _ := clearsign.Decode(data)
	if block == nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: not a clearsigned release file", url))
	}
	signer, err := openpgp.CheckDetachedSignature(keys, bytes.NewReader(block.Bytes),
		block.ArmoredSignature.Body, nil)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: bad signature: %w", url, err))
	}

	pr, err := control.NewParagraphReader(bytes.NewReader(block.Plaintext), nil)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: %w", url, err))
	}
	p, err := pr.Next()
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: %w", url, err))
	}

	if until := p.Values["Valid-Until"]; until != "" {
		t, err := time.Parse(time.RFC1123, strings.Replace(until, "UTC", "GMT", 1))
		if err == nil && now.After(t) {
			return nil, errdefs.Invalid(fmt.Errorf("%s: expired on %s (a stale or replayed release file)", url, until))
		}
	}

	r := &release{url: url, byHash: p.Values["Acquire-By-Hash"] == "yes", files: map[string]fileHash{}}
	if ids := sortedKeys(signer.Identities); len(ids) > 0 {
		r.signer = ids[0]
	}
	for _, line := range strings.Split(p.Values["SHA256"], "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, errdefs.Invalid(fmt.Errorf("%s: SHA256 line %q: %w", url, line, err))
		}
		r.files[f[2]] = fileHash{sha256: f[0], size: size}
	}
	if len(r.files) == 0 {
		return nil, errdefs.Invalid(fmt.Errorf("%s: no SHA256 file list", url))
	}
	return r, nil
}
