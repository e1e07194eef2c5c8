package binfmt_test

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/crossdock/crossdock/binfmt"
)

// Identify tells the platform of an executable from its header alone.
func ExampleIdentify() {
	// The first 52 bytes of a 32-bit little-endian ARM executable.
	h := make([]byte, 52)
	copy(h, "\x7fELF\x01\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 2)  // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], 40) // EM_ARM
	binary.LittleEndian.PutUint32(h[20:], 1)  // EV_CURRENT
	binary.LittleEndian.PutUint16(h[40:], 52) // e_ehsize

	info, err := binfmt.Identify(bytes.NewReader(h))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Machine, info.Platform(), "static:", info.Static())
	// Output: EM_ARM linux/arm/v7 static: true
}

// The handler table gives the binfmt_misc magic and mask for each target.
func ExampleHandlerFor() {
	h, err := binfmt.HandlerFor("linux/arm/v7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\nmagic % x\nmask  % x\n", h.Name(), h.Magic(), h.Mask())
	// Output:
	// qemu-arm
	// magic 7f 45 4c 46 01 01 01 00 00 00 00 00 00 00 00 00 02 00 28 00
	// mask  ff ff ff ff ff ff ff 00 ff ff ff ff ff ff ff ff fe ff ff ff
}

// Check is what a runner asks before it starts a container for a foreign
// platform: its error says why it can't run and what fixes it.
func ExampleCheck() {
	d, err := binfmt.Check("linux/arm/v7")
	if err != nil {
		fmt.Println(err) // e.g. "... no binfmt_misc handler for qemu-arm is registered (fix: crossdock binfmt install --arch arm)"
		return
	}
	fmt.Println(d.Reason)
}

// Install registers the handler for 32-bit ARM, and a drop-in so that it
// comes back after a reboot.
func ExampleInstall() {
	arm, _ := binfmt.HandlerFor("arm")
	res, err := binfmt.Install(arm, binfmt.WithPersist())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Handler.Name(), res.Action, res.Entry.Flags)
}
