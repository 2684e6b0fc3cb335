//go:build !linux

package logserver

import (
	"fmt"
	"os"
)

// datasync falls back to fsync where fdatasync is not available.
func datasync(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("logserver: fsync %s: %w", f.Name(), err)
	}
	return nil
}
