//go:build !linux

package sockets

import "context"

// Listeners needs Linux.
func Listeners(ctx context.Context, f Filter) ([]Socket, error) { return nil, ErrUnsupported }

// OwnedBy needs Linux's /proc.
func OwnedBy(pid int) (map[uint64]bool, error) { return nil, ErrUnsupported }

// FindOwners needs Linux's /proc.
func FindOwners(ctx context.Context, inodes []uint64) (map[uint64]Process, []string, error) {
	return nil, nil, ErrUnsupported
}

// Owners needs Linux's /proc.
func Owners(ctx context.Context, socks []Socket, hint int) (map[uint64]Process, []string, error) {
	return nil, nil, ErrUnsupported
}

func v6OnlyDefaultWords() string { return "system default unknown" }

// OfProcess needs Linux.
func OfProcess(ctx context.Context, pid int, f Filter) ([]Socket, error) { return nil, ErrUnsupported }

func ephemeralRange() (lo, hi int) { return 0, 0 }
