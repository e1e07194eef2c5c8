package runner

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// resolveUser turns USER[:GROUP] (names or numeric ids) into ids, reading
// the image's /etc/passwd and /etc/group inside rootfs. A numeric user need
// not exist; a named one must. The user's supplementary groups come from
// /etc/group, as Docker does.
func resolveUser(rootfs, spec string) (specs.User, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0" // root, which needs no /etc/passwd
	}
	passwd := readDB(rootfs, "/etc/passwd")
	groups := readDB(rootfs, "/etc/group")

	var u specs.User
	if id, err := strconv.ParseUint(userPart, 10, 32); err == nil {
		u.UID = uint32(id)
		for _, f := range passwd {
			if len(f) > 3 && f[2] == userPart {
				gid, _ := strconv.ParseUint(f[3], 10, 32)
				u.GID = uint32(gid)
				userPart = f[0]
				break
			}
		}
	} else {
		found := false
		for _, f := range passwd {
			if len(f) > 3 && f[0] == userPart {
				uid, err1 := strconv.ParseUint(f[2], 10, 32)
				gid, err2 := strconv.ParseUint(f[3], 10, 32)
				if err1 != nil || err2 != nil {
					return u, errdefs.Invalid(fmt.Errorf("user %q: bad /etc/passwd line in the image", userPart))
				}
				u.UID, u.GID, found = uint32(uid), uint32(gid), true
				break
			}
		}
		if !found {
			return u, errdefs.Invalid(fmt.Errorf("user %q: no such user in the image's /etc/passwd", userPart))
		}
	}

	if hasGroup {
		gid, err := lookupGroup(groups, groupPart)
		if err != nil {
			return u, err
		}
		u.GID = gid // the user's supplementary groups stay, as Docker keeps them
	}
	for _, f := range groups {
		if len(f) < 4 {
			continue
		}
		for _, member := range strings.Split(f[3], ",") {
			if member == userPart {
				if gid, err := strconv.ParseUint(f[2], 10, 32); err == nil {
					u.AdditionalGids = append(u.AdditionalGids, uint32(gid))
				}
			}
		}
	}
	return u, nil
}

func lookupGroup(groups [][]string, name string) (uint32, error) {
	if id, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(id), nil
	}
	for _, f := range groups {
		if len(f) > 2 && f[0] == name {
			gid, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				break
			}
			return uint32(gid), nil
		}
	}
	return 0, errdefs.Invalid(fmt.Errorf("group %q: no such group in the image's /etc/group", name))
}

// readDB reads a colon-separated file such as /etc/passwd inside rootfs,
// following symlinks without leaving it. A missing file reads as empty.
func readDB(rootfs, name string) [][]string {
	p, err := securejoin.SecureJoin(rootfs, name)
	if err != nil {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}
