package expect

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
)

//go:embed products.toml
var productsTOML []byte

type product struct {
	ID      string   `toml:"id"`
	Title   string   `toml:"title"`
	Codes   []string `toml:"codes"`
	Names   []string `toml:"names"`
	Scripts []string `toml:"scripts"`
}

var loadProducts = sync.OnceValues(func() ([]product, error) {
	var doc struct {
		Product []product `toml:"product"`
	}
	dec := toml.NewDecoder(bytes.NewReader(productsTOML)).DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("products.toml: %w", err)
	}
	return doc.Product, nil
})

// Detection is what a home directory says about the product in it.
type Detection struct {
	Product string // "apim"; "" when nothing tells
	Version string // "4.2.0"; "" when nothing tells
	// Evidence lists what told, for people: "bin/api-manager.sh", "updates/product.txt:1 wso2am-4.2.0".
	Evidence []string
	// Notes are disagreements between the files, and guesses.
	Notes []string
}

var (
	// productTxtRE is the update tool's own reading of updates/product.txt.
	productTxtRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9a-zA-Z-]+)-([0-9]+\.[0-9]+\.[0-9]+)$`) })
	// versionTxtRE reads bin/version.txt: "WSO2 API Manager v4.2.0",
	// "WSO2 API Manager Gateway version: 4.2.0".
	versionTxtRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(WSO2 [A-Za-z0-9 ]*?)\s+(?:v|version:?\s*)([0-9]+(?:\.[0-9]+){1,3})\b`)
	})
	// homeNameRE reads a home directory named like its zip: wso2am-4.2.0.
	homeNameRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(wso2[a-z]+)-([0-9]+(?:\.[0-9]+){1,3})(?:[-.].*)?$`)
	})
)

// DetectHome looks at a home directory's start scripts and version files.
// It never fails for want of evidence: it says what it found. An error
// means the home itself cannot be read.
func DetectHome(home string) (Detection, error) {
	var d Detection
	st, err := os.Stat(home)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d, fmt.Errorf("%s: no such directory", home)
	case err != nil:
		return d, fmt.Errorf("%s: %w", home, bareErr(err))
	case !st.IsDir():
		return d, fmt.Errorf("%s: not a directory", home)
	}
	products, err := loadProducts()
	if err != nil {
		return d, err
	}
	byCode := map[string]string{}
	for _, p := range products {
		for _, c := range p.Codes {
			byCode[c] = p.ID
		}
	}

	// The start scripts: the surest sign, as each product ships its own.
	for _, p := range products {
		for _, s := range p.Scripts {
			if isFile(filepath.Join(home, s)) {
				if d.Product == "" {
					d.Product = p.ID
					d.Evidence = append(d.Evidence, s)
				}
				break
			}
		}
		// bin/wso2server.sh alone says only "Carbon 4": a product named by a
		// version file below wins over it.
	}
	scriptSaid := d.Product

	type claim struct{ product, version, evidence string }
	var claims []claim
	if data, err := readConfig(filepath.Join(home, "updates", "product.txt")); err == nil {
		text := strings.TrimSpace(string(data))
		if m := productTxtRE().FindStringSubmatch(text); m != nil {
			claims = append(claims, claim{byCode[m[1]], m[2], "updates/product.txt:1 " + text})
		}
	}
	// bin/version.txt names the product; bin/wso2carbon-version.txt, which
	// every Carbon 4 product ships too, names the kernel (the bare kernel
	// has only that one), so it comes last.
	for _, vf := range []string{"version.txt", "wso2carbon-version.txt"} {
		data, err := readConfig(filepath.Join(home, "bin", vf))
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
		first = strings.TrimSpace(first)
		if m := versionTxtRE().FindStringSubmatch(first); m != nil {
			// The longest name that starts the line wins: "WSO2 Carbon
			// Framework" before "WSO2 Carbon".
			id, best := "", 0
			for _, p := range products {
				for _, n := range p.Names {
					if strings.HasPrefix(m[1], n) && len(n) > best {
						id, best = p.ID, len(n)
					}
				}
			}
			claims = append(claims, claim{id, m[2], "bin/" + vf + ":1 " + first})
		}
	}
	if abs, err := filepath.Abs(home); err == nil {
		base := filepath.Base(abs)
		if m := homeNameRE().FindStringSubmatch(base); m != nil {
			claims = append(claims, claim{byCode[m[1]], m[2], "the directory name " + base})
		}
	}

	for _, c := range claims {
		switch {
		case c.product == "":
		case d.Product == "" || (d.Product == "carbon" && scriptSaid == "carbon" && c.product != "carbon"):
			d.Product = c.product
		case c.product != d.Product:
			// EI 6's home is named wso2ei like EI 7's, whose MI carries micro-integrator.sh.
			d.Notes = append(d.Notes, fmt.Sprintf("%s names %s, but %s was found first", c.evidence, c.product, d.Product))
			continue
		}
		if d.Version == "" && (c.product == "" || c.product == d.Product) {
			d.Version = c.version
			d.Evidence = append(d.Evidence, c.evidence)
		}
	}
	return d, nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// pickProfile chooses the profile for a product, version and runtime.
// notes say what was assumed.
func pickProfile(productID string, v version, runtime string) (p *Profile, notes []string, err error) {
	var family []*Profile
	for _, q := range Profiles() {
		if q.Product == productID && q.Runtime == runtime {
			family = append(family, q)
		}
	}
	if len(family) == 0 {
		if runtime != "" {
			return nil, nil, fmt.Errorf("no %s profile for runtime %q", productID, runtime)
		}
		return nil, nil, fmt.Errorf("no profile for product %q", productID)
	}
	var def *Profile
	for _, q := range family {
		if v != nil && q.covers(v) {
			return q, nil, nil
		}
		if q.Default {
			def = q
		}
	}
	if def == nil {
		def = family[len(family)-1]
	}
	if v != nil {
		return def, []string{fmt.Sprintf("no profile covers %s %s: using %s (%s)", productID, v, def.Name, def.Title)}, nil
	}
	return def, []string{fmt.Sprintf("the home does not say its version: assuming %s (%s); --profile chooses another", def.Name, def.Title)}, nil
}
