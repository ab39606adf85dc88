// Command printversion prints buildinfo.Get(): TestBuiltBinary builds it
// with the -X flags scripts/release.sh passes.
package main

import (
	"fmt"

	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
)

func main() { fmt.Println(buildinfo.Get()) }
