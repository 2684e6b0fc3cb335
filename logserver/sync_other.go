//go:build !linux

package logserver

import (
	"fmt"
	"os"
	"time"
)

// datasync falls back to fsync where fdatasync is not available.
func datasync(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("logserver: fsync %s: %w", f.Name(), err)
	}
	return nil
}

// Only Linux holds a P through fdatasync (sync_linux.go).
const (
	heldSlowLimit = time.Duration(0)
	heldPause     = time.Duration(0)
)

func slowHeldSyncs() uint64 { return 0 }
