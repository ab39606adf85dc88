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

// cutPlaceholder finds the first placeholder with the given prefix: the
// text before it, its name and the text after. ok is false when there is
// none; unclosed says the prefix has no closing brace (the caller makes
// that an error).
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

// maxExpanded bounds a value after its placeholders are replaced: a port,
// a switch or a scheme is a few bytes, and a value that grows past this is
// a loop of references, not a configuration.
const maxExpanded = 64 << 10

// replaceAll replaces, left to right, every placeholder with the prefix by
// what look returns, without looking again into what it put in (as the
// config mapper's replaceAll and Carbon's replaceSystemVariablesInXml).
// look returns unknown != "" to stop.
func replaceAll(s Setting, home, val, prefix string, look func(name string) (got, unknown string, err error)) (string, string, error) {
	var b strings.Builder
	rest := val
	for {
		before, name, after, ok, unclosed := cutPlaceholder(rest, prefix)
		if unclosed {
			return "", "", s.errAt(home, "%s %q: unclosed placeholder %s", s.Key, s.Value, prefix)
		}
		if !ok {
			b.WriteString(rest)
			return b.String(), "", nil
		}
		got, unknown, err := look(name)
		if err != nil || unknown != "" {
			return "", unknown, err
		}
		b.WriteString(before)
		b.WriteString(got)
		if b.Len() > maxExpanded {
			return "", "", s.errAt(home, "%s: placeholders expand past %d KiB", s.Key, maxExpanded>>10)
		}
		rest = after
	}
}

func (v *vars) expandTOML(s Setting, val, home string, depth int) (string, string, error) {
	if depth > maxRefDepth {
		return "", "", s.errAt(home, "%s %q: $ref{} references nest deeper than %d: a loop?", s.Key, s.Value, maxRefDepth)
	}
	for _, prefix := range []string{secretPrefix, sysPrefix, envPrefix, refPrefix} {
		var err error
		var unknown string
		val, unknown, err = replaceAll(s, home, val, prefix, func(name string) (string, string, error) {
			ph := prefix + name + "}"
			switch prefix {
			case secretPrefix:
				return "", fmt.Sprintf("%s (%s) is a secure-vault secret, never a number carbonprobe can read", ph, s.Where()), nil
			case sysPrefix:
				p, found := v.sysProp(name)
				if !found || p == "" {
					return "", fmt.Sprintf("%s (%s): %s", ph, s.Where(), v.noProp(name)), nil
				}
				return p, "", nil
			case envPrefix:
				e, found := v.env(name)
				if !found {
					return "", fmt.Sprintf("%s (%s): %s", ph, s.Where(), v.noEnv(name)), nil
				}
				return e, "", nil
			}
			ref, found := v.toml.Values[name]
			if !found {
				return "", fmt.Sprintf("%s (%s): %s does not set %s; its default is in the product's default.json, which carbonprobe does not read", ph, s.Where(), v.toml.File, name), nil
			}
			return v.expandTOML(ref, ref.Value, home, depth+1)
		})
		if err != nil || unknown != "" {
			return "", unknown, err
		}
	}
	return val, "", nil
}

func (v *vars) expandXML(s Setting, val, home string) (string, string, error) {
	return replaceAll(s, home, val, xmlPrefix, func(name string) (string, string, error) {
		got, found := v.sysProp(name)
		if !found {
			got, found = v.env(name)
		}
		if !found {
			return "", fmt.Sprintf("${%s} (%s): %s, and %s", name, s.Where(), v.noProp(name), v.noEnv(name)), nil
		}
		return got, "", nil
	})
}
