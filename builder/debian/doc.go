// Package debian makes Debian packages into layer content without running
// anything: no dpkg, no apt, no maintainer scripts, no emulation. It owns
// the archive side of the builder's Debian layers:
//
//   - HostArchive reads the mirror, suite, components and keyring from the
//     host's apt sources (HostArchives: every source, e.g. the release, its
//     -updates and -security); ArchForPlatform maps an OCI platform to the
//     Debian architecture (linux/arm/v7 is armhf, linux/amd64 is amd64).
//   - Archive.Index fetches the suite's InRelease, verifies its clearsigned
//     OpenPGP signature with the archive keyring, fetches each component's
//     Packages.xz by the sha256 the signed text lists, and parses it;
//     MergeIndexes combines the indexes of several suites (SuiteArchives
//     picks a release's -updates and -security companions).
//   - Index.Resolve picks the packages to install (see its documentation
//     for the rules), deterministically, sorted by name.
//   - Fetch and FetchAll download .deb files into a cache named by sha256,
//     checked against the signed index; DataEntries walks a .deb's files.
//   - Unpack gives every file of a set of .debs and then the Fixups: what
//     maintainer scripts would have made and programs need (see below),
//     and the dpkg database.
//
// # Trust and the cache
//
// Only the keyring is trusted. InRelease is fetched on every Index call and
// its signature checked; everything else is checked against a sha256 that
// the signed text vouches for (Packages.xz) or that the index lists (.deb),
// on download and again on every reuse from the cache. The parsed form of
// an index is cached too, named by the sha256 of its Packages.xz; it is not
// checked again, so the cache folder must be writable only by its owner.
//
// # Essential packages
//
// Debian packages may use the programs of "Essential: yes" packages (sh,
// coreutils, sed, grep, tar, ...) without declaring a dependency on them.
// By default Resolve therefore adds every essential package and its
// dependencies, like the base of every Debian system; the packages' own
// shell snippets and a program's system("...") then work. With
// ResolveOptions.OmitEssential it resolves only what was named and what
// that declares, and an image that needs /bin/sh must name a package that
// ships it (dash, or busybox-static with its own links).
//
// # What maintainer scripts would have done
//
// Maintainer scripts are not run (they would need the target's CPU). Fixups
// reproduces the parts that programs in an image rely on:
//
//   - update-alternatives: every "update-alternatives --install LINK NAME
//     PATH PRIORITY [--slave LINK NAME PATH]..." in a postinst is read;
//     for each NAME the highest priority wins (ties: the path that sorts
//     first), and LINK -> /etc/alternatives/NAME -> PATH symlinks are made,
//     with the winner's slaves, as update-alternatives does in auto mode.
//     This is how /usr/bin/awk, pager, editor and the like come to exist.
//     Calls whose arguments use shell variables are skipped.
//   - /etc/passwd and /etc/group are copied from base-passwd's
//     /usr/share/base-passwd/{passwd,group}.master, as its postinst does on
//     a new system. Users and groups that other packages' scripts add with
//     adduser or useradd are not created.
//   - /var/lib/dpkg/status lists every package as installed (from each
//     .deb's own control file, with its Conffiles), and
//     /var/lib/dpkg/info/NAME.list and NAME.md5sums list its files
//     (NAME:ARCH for Multi-Arch: same packages, info/format 1), so dpkg -l,
//     dpkg -L, dpkg --verify and image scanners see what is installed.
//
// What is deliberately not done:
//
//   - ldconfig: the dynamic loader finds libraries in the standard folders
//     (/lib, /usr/lib and their multiarch folders such as
//     /usr/lib/arm-linux-gnueabihf) without /etc/ld.so.cache, so no cache
//     is written. Libraries in folders named only by /etc/ld.so.conf.d are
//     not found unless the program's RUNPATH names them.
//   - Python byte-compilation (py3compile): Python runs the .py files
//     without .pyc; it tries to write the cache at first import and carries
//     on when the image is read-only.
//   - Everything else a postinst does: systemd units, users and groups made
//     by adduser, generated configuration (ca-certificates bundles, locales,
//     ld.so.cache, mime databases, font caches), triggers, and diversions
//     (dpkg-divert) are not applied. The TODO comments in unpack.go say what
//     a user sees because of each.
//
// The layout of the files is the packages' own: with bookworm that is the
// split /bin, /lib and /usr layout, since no usrmerge conversion is done.
package debian
