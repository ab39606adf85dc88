package expect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// homeConfig is everything read from a server's home: which files exist, what
// they say, and every problem met, one error per file and line.
type homeConfig struct {
	home string
	conf string // the configuration directory, relative to the home
	// tomlEra is set where conf holds a deployment.toml: the server then
	// renders carbon.xml, jmx.xml and axis2.xml from it at every start.
	tomlEra bool

	carbon *CarbonXML
	jmx    *JMXXML
	jmxRel string // where jmx.xml is, or would be
	axis2  *Axis2XML
	dtoml  *DeploymentTOML
	syslog *Syslog
	script *scriptInfo

	notes []string
	errs  []error
}

func (h *homeConfig) fail(err error) { h.errs = append(h.errs, err) }

// rel is a path under the home, slash-separated, for settings and notes.
func rel(parts ...string) string { return filepath.ToSlash(filepath.Join(parts...)) }

// exists reports whether a path under the home exists at all (a directory
// named like a file exists: reading it then says what is wrong).
func (h *homeConfig) exists(relPath string) bool {
	_, err := os.Stat(filepath.Join(h.home, relPath))
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// read reads a file under the home, bounded; a problem is recorded with the full path.
func (h *homeConfig) read(relPath string) ([]byte, bool) {
	full := filepath.Join(h.home, relPath)
	data, err := readConfig(full)
	if err != nil {
		h.fail(fileErr(full, err))
		return nil, false
	}
	return data, true
}

// readHome reads the files of a home that decide a profile's ports. It reads
// only what the product reads: deployment.toml where there is one, else the
// XML files; the log4j2 configuration where there is one, else log4j 1.x's.
func readHome(home, origin string, prof *Profile) *homeConfig {
	h := &homeConfig{home: home}
	confs := []string{"repository/conf", "conf"}
	if prof != nil {
		confs = prof.Conf
	}
	for _, c := range confs {
		if h.exists(rel(c, "deployment.toml")) || h.exists(rel(c, "carbon.xml")) {
			h.conf = c
			break
		}
	}
	if h.conf == "" {
		what := "a Carbon home"
		if prof != nil && prof.Product != "carbon" {
			what = "a " + prof.Title + " home"
		}
		msg := fmt.Sprintf("%s %s: no carbon.xml or deployment.toml in %s: is this %s?", origin, home, strings.Join(confs, " or "), what)
		if prof != nil && prof.ConfHint != "" {
			msg += " (" + prof.ConfHint + ")"
		}
		h.fail(errors.New(msg))
		return h
	}

	if h.exists(rel(h.conf, "deployment.toml")) {
		h.tomlEra = true
		if data, ok := h.read(rel(h.conf, "deployment.toml")); ok {
			d, err := ParseDeploymentTOML(data, rel(h.conf, "deployment.toml"))
			if err != nil {
				h.fail(fileErr(filepath.Join(home, h.conf, "deployment.toml"), err))
			} else {
				h.dtoml = &d
			}
		}
		h.notes = append(h.notes, fmt.Sprintf("%s decides: the server renders carbon.xml, jmx.xml and axis2.xml from it at every start, so those are not read",
			rel(h.conf, "deployment.toml")))
	} else {
		h.readXML(prof)
	}
	h.readLogging(prof)
	if prof != nil && prof.Script != "" {
		h.script = h.scanScript(prof.Script)
	}
	return h
}

func (h *homeConfig) readXML(prof *Profile) {
	carbonRel := rel(h.conf, "carbon.xml")
	if data, ok := h.read(carbonRel); ok {
		cx, err := ParseCarbonXML(data, carbonRel)
		if err != nil {
			h.fail(fileErr(filepath.Join(h.home, carbonRel), err))
		} else {
			h.carbon = &cx
		}
	}
	if prof == nil {
		return
	}
	var jmx, axis2 bool
	for _, p := range prof.Ports {
		jmx = jmx || p.Feature.jmx()
		axis2 = axis2 || p.Feature.clustering() || p.Axis2Receiver != ""
	}
	h.jmxRel = rel(h.conf, "etc", "jmx.xml")
	if jmx && h.exists(h.jmxRel) {
		if data, ok := h.read(h.jmxRel); ok {
			j, err := ParseJMXXML(data, h.jmxRel)
			if err != nil {
				h.fail(fileErr(filepath.Join(h.home, h.jmxRel), err))
			} else {
				h.jmx = &j
			}
		}
	}
	axis2Rel := rel(h.conf, "axis2", "axis2.xml")
	if axis2 && h.exists(axis2Rel) {
		if data, ok := h.read(axis2Rel); ok {
			a, err := ParseAxis2XML(data, axis2Rel)
			if err != nil {
				h.fail(fileErr(filepath.Join(h.home, axis2Rel), err))
			} else {
				h.axis2 = &a
			}
		}
	}
}

// readLogging reads the log4j2 configuration where there is one, else log4j
// 1.x's. Carbon kernel 4.5+ reads log4j2.properties only; EI 6.6 still ships
// a log4j.properties that nothing reads.
func (h *homeConfig) readLogging(prof *Profile) {
	if prof != nil {
		syslog := false
		for _, r := range prof.Random {
			syslog = syslog || r.Kind == "syslog"
		}
		if !syslog {
			return
		}
	}
	l2, l1 := rel(h.conf, "log4j2.properties"), rel(h.conf, "log4j.properties")
	switch {
	case h.exists(l2):
		if data, ok := h.read(l2); ok {
			s := ParseLog4j2(data, l2)
			h.syslog = &s
		}
		if h.exists(l1) {
			h.notes = append(h.notes, fmt.Sprintf("%s is not read: %s is there, and Carbon kernel 4.5+ (log4j2) reads only that", l1, l2))
		}
	case h.exists(l1):
		if data, ok := h.read(l1); ok {
			s := ParseLog4j(data, l1)
			h.syslog = &s
		}
	}
}

// scriptInfo is what a start script says about the JDK's local JMX connector.
type scriptInfo struct {
	file      string
	jmxremote int    // the line passing -Dcom.sun.management.jmxremote; 0 if none
	localPort string // -Dcom.sun.management.jmxremote.local.port, if pinned
	portLine  int
}

// scanScript looks for -Dcom.sun.management.jmxremote in a start script,
// skipping comment lines. The options of the JVM that runs are what the
// script passes, plus $JAVA_OPTS: a process's own command line says more.
func (h *homeConfig) scanScript(script string) *scriptInfo {
	full := filepath.Join(h.home, script)
	if !isFile(full) {
		return nil
	}
	data, err := readConfig(full)
	if err != nil {
		h.fail(fileErr(full, err))
		return nil
	}
	s := &scriptInfo{file: filepath.ToSlash(script)}
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(strings.ToUpper(t), "REM ") {
			continue
		}
		for _, f := range strings.Fields(t) {
			f = strings.Trim(f, `"'\`)
			switch {
			case f == "-Dcom.sun.management.jmxremote" && s.jmxremote == 0:
				s.jmxremote = i + 1
			case strings.HasPrefix(f, "-Dcom.sun.management.jmxremote.local.port="):
				s.localPort = strings.TrimPrefix(f, "-Dcom.sun.management.jmxremote.local.port=")
				s.portLine = i + 1
			}
		}
	}
	return s
}
