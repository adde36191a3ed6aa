//go:build !unix

package store

import "errors"

// freeSpace is not known here: only failed commits show a full disk.
func freeSpace(string) (uint64, error) { return 0, errors.ErrUnsupported }
