package expect

import (
	"fmt"
	"strings"
)

// vars is what the server resolves placeholders from, as far as
// carbonprobe can know it: the Java system properties of its command line
// (or the options given), its environment, and deployment.toml's own keys.
type vars struct {
	props     sysProps
	propsFrom string // "flag --java-opts", "pid 4242's command line"; "" when none were given
	environ   func(string) (string, bool)
	envFrom   string // "pid 4242's environment", "this environment"
	toml      *DeploymentTOML
}

// maxRefDepth bounds $ref{} chains: a loop of references is reported, not followed for ever.
const maxRefDepth = 8

// placeholder kinds, as WSO2's config mapper (ReferenceResolver) and Carbon
// (ServerConfiguration, CarbonUtils) read them.
const (
	sysPrefix    = "$sys{"    // a Java system property (config mapper: non-empty)
	envPrefix    = "$env{"    // an environment variable (config mapper: defined, may be empty)
	refPrefix    = "$ref{"    // another key of deployment.toml
	secretPrefix = "$secret{" // a secure-vault alias: never a port
	xmlPrefix    = "${"       // Carbon's XML files: a system property, else an environment variable
)

func (v *vars) sysProp(name string) (string, bool) {
	val, ok := v.props[name]
	return val, ok
}

func (v *vars) env(name string) (string, bool) {
	if v.environ == nil {
		return "", false
	}
	return v.environ(name)
}

func (v *vars) noProp(name string) string {
	if v.propsFrom == "" {
		return fmt.Sprintf("no -D%s: no Java options were given (--java-opts, or the running server's command line)", name)
	}
	return fmt.Sprintf("no -D%s in %s", name, v.propsFrom)
}

func (v *vars) noEnv(name string) string {
	if v.environ == nil {
		return fmt.Sprintf("%s: no environment to read it from", name)
	}
	return fmt.Sprintf("%s is not set in %s", name, v.envFrom)
}

// expand resolves the placeholders of a setting's value the way the server
// does. A deployment.toml value takes the config mapper's $sys{}, $env{},
// $ref{} (ReferenceResolver: system properties, then environment, then
// references) and then, once rendered into an XML file, Carbon's ${};
// every other file takes Carbon's ${}: a system property, else an
// environment variable. unknown says why the value cannot be known here
// (a variable this environment does not have); an error is a value the
// server itself could not read (an unclosed placeholder).
func (v *vars) expand(s Setting, home string) (out Setting, unknown string, err error) {
	if !strings.Contains(s.Value, "{") {
		return s, "", nil
	}
	val := s.Value
	inTOML := v.toml != nil && s.File == v.toml.File
	if inTOML {
		val, unknown, err = v.expandTOML(s, val, home, 0)
		if err != nil || unknown != "" {
			return s, unknown, err
		}
	}
	val, unknown, err = v.expandXML(s, val, home)
	if err != nil || unknown != "" {
		return s, unknown, err
	}
	s.Value = val
	return s, "", nil
}

// cut finds the first placeholder with the given prefix: the text before
// it, its name and the text after. ok is false when there is none; an
// unclosed one is an error.
func cutPlaceholder(val, prefix string) (before, name, after string, ok bool, unclosed bool) {
	i := strings.Index(val, prefix)
	if i < 0 {
		return val, "", "", false, false
	}
	rest := val[i+len(prefix):]
	j := strings.IndexByte(rest, '}')
	if j < 0 {
		return val, "", "", false, true
	}
	return val[:i], rest[:j], rest[j+1:], true, false
}

func (v *vars) expandTOML(s Setting, val, home string, depth int) (string, string, error) {
	if depth > maxRefDepth {
		return "", "", s.errAt(home, "%s %q: $ref{} references nest deeper than %d: a loop?", s.Key, s.Value, maxRefDepth)
	}
	for _, prefix := range []string{secretPrefix, sysPrefix, envPrefix, refPrefix} {
		for n := 0; ; n++ {
			if n > maxXMLText {
				return "", "", s.errAt(home, "%s: too many placeholders", s.Key)
			}
			before, name, after, ok, unclosed := cutPlaceholder(val, prefix)
			if unclosed {
				return "", "", s.errAt(home, "%s %q: unclosed placeholder %s", s.Key, s.Value, prefix)
			}
			if !ok {
				break
			}
			ph := prefix + name + "}"
			var got string
			switch prefix {
			case secretPrefix:
				return "", fmt.Sprintf("%s (%s) is a secure-vault secret, never a number carbonprobe can read", ph, s.Where()), nil
			case sysPrefix:
				p, found := v.sysProp(name)
				if !found || p == "" {
					return "", fmt.Sprintf("%s (%s): %s", ph, s.Where(), v.noProp(name)), nil
				}
				got = p
			case envPrefix:
				e, found := v.env(name)
				if !found {
					return "", fmt.Sprintf("%s (%s): %s", ph, s.Where(), v.noEnv(name)), nil
				}
				got = e
			case refPrefix:
				ref, found := v.toml.Values[name]
				if !found {
					return "", fmt.Sprintf("%s (%s): %s does not set %s; its default is in the product's default.json, which carbonprobe does not read", ph, s.Where(), v.toml.File, name), nil
				}
				r, unknown, err := v.expandTOML(ref, ref.Value, home, depth+1)
				if err != nil || unknown != "" {
					return "", unknown, err
				}
				got = r
			}
			val = before + got + after
		}
	}
	return val, "", nil
}

func (v *vars) expandXML(s Setting, val, home string) (string, string, error) {
	for n := 0; ; n++ {
		if n > maxXMLText {
			return "", "", s.errAt(home, "%s: too many placeholders", s.Key)
		}
		before, name, after, ok, unclosed := cutPlaceholder(val, xmlPrefix)
		if unclosed {
			return "", "", s.errAt(home, "%s %q: unclosed placeholder", s.Key, s.Value)
		}
		if !ok {
			return val, "", nil
		}
		got, found := v.sysProp(name)
		if !found {
			got, found = v.env(name)
		}
		if !found {
			return "", fmt.Sprintf("${%s} (%s): %s, and %s", name, s.Where(), v.noProp(name), v.noEnv(name)), nil
		}
		val = before + got + after
	}
}
