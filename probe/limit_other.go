//go:build !unix

package probe

// maxConcurrency: no open-file limit is read here.
func maxConcurrency() int { return 0 }
