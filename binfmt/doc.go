// Package binfmt lets a linux/amd64 host run binaries built for other
// architectures (linux/arm/v7 above all) through qemu-user and the kernel's
// binfmt_misc.
//
// It owns three things:
//
//   - ELF identification: [Identify] and [IdentifyFile] read an executable's
//     header and tell its class, byte order, machine, type, OS ABI, whether
//     it is static, the ARM float ABI, and the OCI platform it is for.
//   - The handler table: [Handlers] lists the qemu-user targets, each with
//     the binfmt_misc magic and mask derived from the ELF header layout, so
//     that position-independent executables and GNU/Linux OS ABI variants
//     match while big-endian ARM never matches little-endian ARM.
//   - The host side: [Install], [Uninstall] and [ReadStatus] register,
//     remove and list handlers in binfmt_misc (and systemd-binfmt drop-ins
//     under /etc/binfmt.d with [WithPersist]); [Check] and [CheckFile] say
//     whether a platform or a file will run here and, if not, exactly why
//     (including the registered interpreter, the x86-64 level of the CPU
//     and, for a file, its permission and dynamic loader).
//
// Every host operation takes the binfmt_misc folder as an option
// ([WithRoot], default /proc/sys/fs/binfmt_misc), so its logic can be
// tested on a temporary folder. The package is quiet: it returns data and
// errors, and the crossdock CLI decides what to print.
package binfmt
