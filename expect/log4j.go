package expect

import (
	"fmt"
	"sort"
	"strings"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// Syslog is what a logging configuration says about the syslog appender:
// whether the JVM opens a socket for it at start, over which protocol, and why.
type Syslog struct {
	File     string
	Opens    bool   // whether a socket is expected
	Proto    Proto  // udp for log4j 1.x and log4j2 protocol=UDP; tcp for log4j2's default
	Why      string // "CARBON_SYS_LOG (org.apache.log4j.net.SyslogAppender, conf/log4j.properties:48) is attached to the root logger (conf/log4j.properties:23)"
	From     string // the file and line that decided it
	Appender string // the appender's name, when there is one
	log4j2   bool
}

const log4jSyslogClass = "org.apache.log4j.net.SyslogAppender"

// ParseLog4j reads a log4j 1.x log4j.properties. log4j 1.x builds an appender
// only when a logger names it (PropertyConfigurator.parseCategory), and
// SyslogAppender opens its DatagramSocket in setSyslogHost: so a random UDP
// port is expected only for a SyslogAppender that is attached to a logger and
// has a SyslogHost.
func ParseLog4j(data []byte, file string) Syslog {
	s := parseLog4j(data, file)
	s.Why = text.OneLine(s.Why)
	return s
}

func parseLog4j(data []byte, file string) Syslog {
	props := parseProperties(data)
	at := func(line int) string { return fmt.Sprintf("%s:%d", file, line) }

	// Which appenders are SyslogAppenders, and where they are defined.
	var syslogs []string
	for k, p := range props {
		name, ok := strings.CutPrefix(k, "log4j.appender.")
		if ok && !strings.Contains(name, ".") && strings.TrimSpace(p.Value) == log4jSyslogClass {
			syslogs = append(syslogs, name)
		}
	}
	sort.Strings(syslogs)
	if len(syslogs) == 0 {
		return Syslog{File: file, Proto: UDP, From: file, Why: "no " + log4jSyslogClass + " is defined in " + file}
	}

	// Which loggers attach which appenders. The root logger is
	// log4j.rootLogger, or log4j.rootCategory when that is absent.
	type ref struct {
		logger string
		line   int
	}
	attached := map[string][]ref{}
	attach := func(logger string, p property) {
		// "LEVEL, A, B": the first token is a level unless the value starts with a comma.
		tokens := strings.Split(p.Value, ",")
		for _, t := range tokens[1:] {
			if t = strings.TrimSpace(t); t != "" {
				attached[t] = append(attached[t], ref{logger, p.Line})
			}
		}
	}
	if p, ok := props["log4j.rootLogger"]; ok {
		attach("the root logger (log4j.rootLogger)", p)
	} else if p, ok := props["log4j.rootCategory"]; ok {
		attach("the root logger (log4j.rootCategory)", p)
	}
	var loggers []string
	for k := range props {
		if strings.HasPrefix(k, "log4j.logger.") || strings.HasPrefix(k, "log4j.category.") {
			loggers = append(loggers, k)
		}
	}
	sort.Strings(loggers)
	for _, k := range loggers {
		attach("logger "+k[strings.Index(k, ".")+1:], props[k])
	}

	var unattached []string
	var quiet *Syslog // attached, but without a SyslogHost
	firstDef := 0
	for _, name := range syslogs {
		def := props["log4j.appender."+name]
		if firstDef == 0 || def.Line < firstDef {
			firstDef = def.Line
		}
		refs := attached[name]
		if len(refs) == 0 {
			unattached = append(unattached, fmt.Sprintf("%s (%s)", name, at(def.Line)))
			continue
		}
		sort.Slice(refs, func(i, j int) bool { return refs[i].line < refs[j].line })
		host, hasHost := props["log4j.appender."+name+".SyslogHost"]
		if !hasHost || strings.TrimSpace(host.Value) == "" {
			if quiet == nil {
				quiet = &Syslog{File: file, Proto: UDP, Appender: name, From: at(def.Line),
					Why: fmt.Sprintf("%s (%s) is attached to %s (%s) but has no SyslogHost: log4j 1.x opens its socket only in setSyslogHost",
						name, at(def.Line), refs[0].logger, at(refs[0].line))}
			}
			continue
		}
		return Syslog{File: file, Opens: true, Proto: UDP, Appender: name, From: at(refs[0].line),
			Why: fmt.Sprintf("%s (%s, %s) is attached to %s (%s) and sends to %s",
				name, log4jSyslogClass, at(def.Line), refs[0].logger, at(refs[0].line), syslogTarget(host.Value, "514"))}
	}
	if quiet != nil {
		return *quiet
	}
	return Syslog{File: file, Proto: UDP, From: at(firstDef),
		Why: fmt.Sprintf("%s defined but attached to no logger: log4j 1.x builds an appender only when a logger names it",
			strings.Join(unattached, ", "))}
}

// syslogTarget is "localhost:514/udp"-like text for a SyslogHost value,
// which log4j 1.x reads as host or host:port.
func syslogTarget(host, defPort string) string {
	h := strings.TrimSpace(host)
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		return h
	}
	return h + ":" + defPort
}

// ParseLog4j2 reads a log4j2.properties. log4j2 builds every appender the
// file declares (those listed in "appenders =" when that key is present,
// all "appender.<id>." groups otherwise), whether or not a logger refers to
// it; a Syslog appender connects at build time over its protocol, TCP unless
// set (SocketAppender's default). A UDP one keeps an unconnected socket on a
// random port; a TCP one keeps no socket while nothing listens on its host
// and port, and otherwise an outgoing connection: no random listening port.
// Which loggers use it is reported, not decisive.
func ParseLog4j2(data []byte, file string) Syslog {
	s := parseLog4j2(data, file)
	s.Why = text.OneLine(s.Why)
	return s
}

func parseLog4j2(data []byte, file string) Syslog {
	props := parseProperties(data)
	at := func(line int) string { return fmt.Sprintf("%s:%d", file, line) }

	// The appender ids log4j2 builds.
	var ids []string
	listed, hasList := props["appenders"]
	if hasList {
		for _, id := range strings.Split(listed.Value, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	} else {
		seen := map[string]bool{}
		for k := range props {
			if rest, ok := strings.CutPrefix(k, "appender."); ok {
				if id, _, ok := strings.Cut(rest, "."); ok && !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
		sort.Strings(ids)
	}
	built := map[string]bool{}
	for _, id := range ids {
		built[id] = true
	}

	// Syslog appenders the file defines, built or not.
	var defined []string
	for k, p := range props {
		if rest, ok := strings.CutPrefix(k, "appender."); ok {
			if id, field, ok := strings.Cut(rest, "."); ok && field == "type" && strings.EqualFold(strings.TrimSpace(p.Value), "Syslog") {
				defined = append(defined, id)
			}
		}
	}
	sort.Strings(defined)
	if len(defined) == 0 {
		return Syslog{File: file, Proto: TCP, From: file, Why: "no Syslog appender is defined in " + file + " (the sample is commented out)"}
	}
	for _, id := range defined {
		if !built[id] {
			continue
		}
		typ := props["appender."+id+".type"]
		name := strings.TrimSpace(props["appender."+id+".name"].Value)
		proto := TCP
		protoWhy := "protocol TCP (log4j2's default)"
		if p, ok := props["appender."+id+".protocol"]; ok {
			switch strings.ToUpper(strings.TrimSpace(p.Value)) {
			case "UDP":
				proto, protoWhy = UDP, fmt.Sprintf("protocol UDP (%s)", at(p.Line))
			case "SSL":
				protoWhy = fmt.Sprintf("protocol SSL over TCP (%s)", at(p.Line))
			default:
				protoWhy = fmt.Sprintf("protocol %s (%s)", strings.TrimSpace(p.Value), at(p.Line))
			}
		}
		host := "localhost"
		if h, ok := props["appender."+id+".host"]; ok && strings.TrimSpace(h.Value) != "" {
			host = strings.TrimSpace(h.Value)
		}
		port := "514"
		if p, ok := props["appender."+id+".port"]; ok && strings.TrimSpace(p.Value) != "" {
			port = strings.TrimSpace(p.Value)
		}
		decl := "declared"
		if hasList {
			decl = fmt.Sprintf("listed in appenders= (%s)", at(listed.Line))
		}
		use := "used by no logger"
		if refs := appenderRefs(props, name); len(refs) > 0 {
			use = "used by " + strings.Join(refs, ", ")
		}
		if proto != UDP {
			// TcpSocketManager connects at build time; refused (nothing
			// listens on host:port), it keeps no socket and retries in the
			// background; accepted, the socket is an outgoing connection,
			// not a port that listens. Either way no random port to explain.
			return Syslog{File: file, Opens: false, Proto: proto, Appender: name, From: at(typ.Line), log4j2: true,
				Why: fmt.Sprintf("Syslog appender %s (%s) is %s, so log4j2 builds it; %s: it connects to %s:%s, keeping no socket while nothing listens there and otherwise an outgoing connection, never a listening port; %s",
					id, at(typ.Line), decl, protoWhy, host, port, use)}
		}
		what := "an unconnected UDP socket on an ephemeral port, sending to " + host + ":" + port
		return Syslog{File: file, Opens: true, Proto: proto, Appender: name, From: at(typ.Line), log4j2: true,
			Why: fmt.Sprintf("Syslog appender %s (%s) is %s, so log4j2 builds it; %s: %s; %s",
				id, at(typ.Line), decl, protoWhy, what, use)}
	}
	id := defined[0]
	return Syslog{File: file, Proto: TCP, From: at(props["appender."+id+".type"].Line),
		Why: fmt.Sprintf("Syslog appender %s (%s) is defined but not listed in appenders= (%s), so log4j2 never builds it",
			id, at(props["appender."+id+".type"].Line), at(listed.Line))}
}

// appenderRefs lists the loggers whose appenderRef names the appender, with
// their lines. log4j2 matches names exactly, case included.
func appenderRefs(props map[string]property, name string) []string {
	var out []string
	for k, p := range props {
		if !strings.HasSuffix(k, ".ref") || strings.TrimSpace(p.Value) != name || name == "" {
			continue
		}
		switch {
		case strings.HasPrefix(k, "rootLogger.appenderRef."):
			out = append(out, fmt.Sprintf("the root logger (line %d)", p.Line))
		case strings.HasPrefix(k, "logger.") && strings.Contains(k, ".appenderRef."):
			id := strings.SplitN(k, ".", 3)[1]
			out = append(out, fmt.Sprintf("logger %s (line %d)", id, p.Line))
		}
	}
	sort.Strings(out)
	return out
}
