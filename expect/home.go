package expect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// homeConfig is everything read from a server's home: which files exist, what
// they say, and every problem met, one error per file and line.
type homeConfig struct {
	home string
	conf string // the configuration directory, relative to the home
	// tomlEra is set where conf holds a deployment.toml: the server then
	// renders carbon.xml, jmx.xml and axis2.xml from it at every start.
	tomlEra bool

	carbon   *CarbonXML
	jmx      *JMXXML
	jmxRel   string // where jmx.xml is, or would be
	axis2    *Axis2XML
	catalina *CatalinaXML
	dtoml    *DeploymentTOML
	syslog   *Syslog
	script   *scriptInfo

	// inbound maps an inbound endpoint file's name to what it says (nil when
	// it could not be read); inboundDirFound says the directory exists.
	inbound         map[string]*InboundEndpoint
	inboundDir      string
	inboundDirFound bool
	// inboundOffset is synapse.properties' inbound.port.offset.enable.
	inboundOffset Setting

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
func readHome(home, origin string, prof *Profile, props sysProps, javaOrigin string) *homeConfig {
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

	tomlRel := rel(h.conf, "deployment.toml")
	avoid, avoidSet := props["avoidConfigUpdate"]
	switch {
	case h.exists(tomlRel) && avoidSet && javaBool(avoid):
		// config-mapper's ConfigParser.parse returns at once under
		// -DavoidConfigUpdate=true: nothing is rendered, and the server runs
		// on the XML files as they are on disk.
		h.notes = append(h.notes, fmt.Sprintf("-DavoidConfigUpdate=%s (%s): the server does not render %s, so the XML files on disk decide and %s is not read",
			avoid, orDefault(javaOrigin, "the Java options"), tomlRel, tomlRel))
		if !h.exists(rel(h.conf, "carbon.xml")) {
			h.fail(fmt.Errorf("%s %s: -DavoidConfigUpdate=true, but there is no %s for the server to run on", origin, home, rel(h.conf, "carbon.xml")))
			break
		}
		h.readXML(prof)
	case h.exists(tomlRel):
		h.tomlEra = true
		if data, ok := h.read(tomlRel); ok {
			if b, found := bytes.CutPrefix(data, utf8BOM); found {
				data = b
				h.notes = append(h.notes, fmt.Sprintf("%s:1 starts with a UTF-8 byte-order mark (bytes EF BB BF, U+FEFF); carbonprobe reads past it; whether WSO2's config mapper (Cava TOML) does is not confirmed: remove it", tomlRel))
			}
			d, err := ParseDeploymentTOML(data, tomlRel)
			if err != nil {
				h.fail(fileErr(filepath.Join(home, h.conf, "deployment.toml"), err))
			} else {
				h.dtoml = &d
				h.noteIgnored(prof)
			}
		}
		h.notes = append(h.notes, fmt.Sprintf("%s decides: the server renders carbon.xml, jmx.xml and axis2.xml from it at every start, so those are not read",
			tomlRel))
	default:
		h.readXML(prof)
	}
	h.readLogging(prof)
	if prof != nil && prof.Script != "" {
		h.script = h.scanScript(prof.Script, prof.MainClasses)
	}
	if prof != nil && prof.InboundDir != "" {
		h.readInbound(prof.InboundDir)
	}
	return h
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// noteIgnored says when deployment.toml sets a table the product does not
// read (MI's [clustering]: MI has no Hazelcast).
func (h *homeConfig) noteIgnored(prof *Profile) {
	if prof == nil {
		return
	}
	for _, ig := range prof.Ignore {
		first := Setting{}
		for k, s := range h.dtoml.Values {
			if (k == ig.TOML || strings.HasPrefix(k, ig.TOML+".")) && (!first.Found() || s.Line < first.Line) {
				first = s
			}
		}
		if first.Found() {
			h.notes = append(h.notes, fmt.Sprintf("%s: [%s] is not read by %s: %s (%s)", first.Where(), ig.TOML, prof.Title, ig.Why, ig.Source))
		}
	}
}

// maxInbound bounds how many inbound endpoint files are read.
const maxInbound = 256

// readInbound reads the Synapse inbound endpoints deployed in the home, and
// synapse.properties' switch for their port offset.
func (h *homeConfig) readInbound(dir string) {
	h.inboundDir = dir
	h.inbound = map[string]*InboundEndpoint{}
	entries, err := os.ReadDir(filepath.Join(h.home, dir))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.fail(fileErr(filepath.Join(h.home, dir), bareErr(err)))
		}
		return
	}
	h.inboundDirFound = true
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".xml") {
			continue
		}
		if n++; n > maxInbound {
			h.notes = append(h.notes, fmt.Sprintf("%s holds more than %d inbound endpoints: the rest are not read", dir, maxInbound))
			break
		}
		relPath := rel(dir, e.Name())
		h.inbound[e.Name()] = nil
		data, ok := h.read(relPath)
		if !ok {
			continue
		}
		ep, err := ParseInboundEndpoint(data, relPath)
		if err != nil {
			h.fail(fileErr(filepath.Join(h.home, relPath), err))
			continue
		}
		h.inbound[e.Name()] = &ep
	}
	if h.tomlEra && h.dtoml != nil {
		if s, ok := h.dtoml.Values["synapse_properties.inbound.port.offset.enable"]; ok {
			h.inboundOffset = s
			return
		}
	}
	sp := rel(h.conf, "synapse.properties")
	if !isFile(filepath.Join(h.home, sp)) {
		return
	}
	if data, ok := h.read(sp); ok {
		if p, ok := parseProperties(data)["inbound.port.offset.enable"]; ok {
			h.inboundOffset = Setting{Value: strings.TrimSpace(p.Value), File: sp, Line: p.Line, Key: "inbound.port.offset.enable"}
		}
	}
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
	if cx := h.carbon; cx != nil && cx.Offset.Found() && cx.OffsetRaw != cx.Offset.Value {
		h.notes = append(h.notes, fmt.Sprintf("%s: %q has white space around the number: Carbon parses <Offset> untrimmed (Integer.parseInt), so the server fails to start with this file; carbonprobe reads %s",
			cx.Offset.Where(), text.OneLine(cx.OffsetRaw), cx.Offset.Value))
	}
	var jmx, axis2, catalina bool
	for _, p := range prof.Ports {
		jmx = jmx || p.Feature.jmx()
		axis2 = axis2 || p.Feature.clustering() || p.Axis2Receiver != ""
		catalina = catalina || p.Catalina != ""
	}
	catalinaRel := rel(h.conf, "tomcat", "catalina-server.xml")
	if catalina && h.exists(catalinaRel) {
		if data, ok := h.read(catalinaRel); ok {
			c, err := ParseCatalinaXML(data, catalinaRel)
			if err != nil {
				h.fail(fileErr(filepath.Join(h.home, catalinaRel), err))
			} else {
				h.catalina = &c
			}
		}
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
	// props holds the -Dname=value options the script passes to java
	// (bare -Dname is "true"), the last one of a name winning.
	props map[string]Setting
}

// maxScriptProps bounds the -D options kept from a start script.
const maxScriptProps = 1024

// scanScript looks for -Dcom.sun.management.jmxremote in a start script,
// skipping comment lines. The options of the JVM that runs are what the
// script passes, plus $JAVA_OPTS: a process's own command line says more.
func (h *homeConfig) scanScript(script string, mainClasses []string) *scriptInfo {
	full := filepath.Join(h.home, script)
	if !isFile(full) {
		return nil
	}
	data, err := readConfig(full)
	if err != nil {
		h.fail(fileErr(full, err))
		return nil
	}
	s := &scriptInfo{file: filepath.ToSlash(script), props: map[string]Setting{}}
	launches := len(mainClasses) == 0
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(strings.ToUpper(t), "REM ") {
			continue
		}
		for _, mc := range mainClasses {
			launches = launches || strings.Contains(t, mc)
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
			if name, ok := strings.CutPrefix(f, "-D"); ok && name != "" && len(s.props) < maxScriptProps {
				name, value, found := strings.Cut(name, "=")
				if !found {
					value = "true"
				}
				if name != "" && len(name) <= maxCarbonKey {
					s.props[name] = Setting{Value: value, File: s.file, Line: i + 1, Key: "-D" + name}
				}
			}
		}
	}
	if !launches {
		// Not the script that starts the JVM (or a stand-in): its options say nothing.
		h.notes = append(h.notes, fmt.Sprintf("%s starts no %s: its Java options are not read", s.file, strings.Join(mainClasses, " or ")))
		return nil
	}
	return s
}
