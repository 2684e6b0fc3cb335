package logserver

import (
	"fmt"
	"os"
	"syscall"
)

// datasync flushes f's data and the metadata needed to read it back (its
// size), like fdatasync(2): cheaper than fsync because timestamps are not
// flushed.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("logserver: fdatasync %s: %w", f.Name(), err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("logserver: fdatasync %s: %w", f.Name(), err)
	}
	if serr != nil {
		return fmt.Errorf("logserver: fdatasync %s: %w", f.Name(), serr)
	}
	return nil
}
