package expect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// carbonXMLPaths are where a Carbon home keeps carbon.xml: Carbon 4 products
// (repository/conf), then EI 6's integrator and MI (conf).
var carbonXMLPaths = []string{
	filepath.Join("repository", "conf", "carbon.xml"),
	filepath.Join("conf", "carbon.xml"),
}

// FindCarbonXML returns the carbon.xml of a Carbon home.
func FindCarbonXML(home string) (string, error) {
	st, err := os.Stat(home)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s: no such directory", home)
	case err != nil:
		return "", err
	case !st.IsDir():
		return "", fmt.Errorf("%s: not a directory", home)
	}
	for _, rel := range carbonXMLPaths {
		p := filepath.Join(home, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: no %s or %s: is this a Carbon home?", home, carbonXMLPaths[0], carbonXMLPaths[1])
}

// CarbonXML is what carbonprobe reads from carbon.xml.
type CarbonXML struct {
	Path       string
	Offset     int
	OffsetLine int // 0 when carbon.xml has no <Ports><Offset>
}

// ReadCarbonXML reads <Server><Ports><Offset> from a carbon.xml. Errors name the
// file and, where there is one, the line.
func ReadCarbonXML(path string) (CarbonXML, error) {
	out := CarbonXML{Path: path}
	data, err := readConfig(path)
	if err != nil {
		return out, fmt.Errorf("%s: %w", path, err)
	}
	const offsetPath = "Server/Ports/Offset"
	vals, err := readXMLValues(data, map[string]bool{offsetPath: true})
	if err != nil {
		return out, fmt.Errorf("%s:%w", path, err)
	}
	v, ok := vals[offsetPath]
	if !ok {
		return out, nil
	}
	n, err := strconv.Atoi(v.Text)
	switch {
	case err != nil:
		return out, fmt.Errorf("%s:%d: <Offset> %q is not a whole number", path, v.Line, v.Text)
	case n < 0 || n > maxOffset:
		return out, fmt.Errorf("%s:%d: <Offset> %d is outside 0..%d", path, v.Line, n, MaxPort)
	}
	out.Offset, out.OffsetLine = n, v.Line
	return out, nil
}
