package expect

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseCarbonXMLReadsEveryPortWithItsLine(t *testing.T) {
	// ISO-8859-1 with a non-ASCII byte, a default namespace, comments and a
	// commented-out port: Carbon 4.4's real shape.
	data := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + // 1
		"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\n" + // 2
		"    <Name>WSO2 Caf\xe9</Name>\n" + // 3
		"    <HostName>esb.example.com</HostName>\n" + // 4
		"    <Ports>\n" + // 5
		"        <Offset>2</Offset>\n" + // 6
		"        <JMX>\n" + // 7
		"            <RMIRegistryPort>9999</RMIRegistryPort>\n" + // 8
		"            <RMIServerPort>\n              11111\n            </RMIServerPort>\n" + // 9-11
		"        </JMX>\n" +
		"        <!--<JNDIProviderPort>2199</JNDIProviderPort>-->\n" +
		"        <EmbeddedLDAP><LDAPServerPort>10389</LDAPServerPort></EmbeddedLDAP>\n" + // 14
		"    </Ports>\n" +
		"    <Ports><Offset>7</Offset></Ports>\n" + // 16: only the first counts
		"</Server>\n")
	cx, err := ParseCarbonXML(data, "conf/carbon.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Ports.Offset":                      "6 2",
		"Ports.JMX.RMIRegistryPort":         "8 9999",
		"Ports.JMX.RMIServerPort":           "9 11111",
		"Ports.EmbeddedLDAP.LDAPServerPort": "14 10389",
	}
	for k, w := range want {
		s := cx.Ports[k]
		if got := strings.Join([]string{strconv.Itoa(s.Line), s.Value}, " "); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if len(cx.Ports) != len(want) {
		t.Errorf("ports %v, want only %d (a comment is no port)", cx.Ports, len(want))
	}
	if cx.Offset.Where() != "conf/carbon.xml:6 <Offset>" || cx.HostName.Value != "esb.example.com" {
		t.Errorf("offset %q, host %q", cx.Offset.Where(), cx.HostName.Value)
	}
}

func TestParseCarbonXMLRefusesOtherDocuments(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"not carbon.xml":  {"<axisconfig/>", "1: no <Server> root element: not a carbon.xml"},
		"empty":           {"\n\n", "1: no XML element: an empty file, or only comments"},
		"unclosed":        {"<Server>\n<Ports>\n", "3: XML ends inside <Ports>"},
		"mismatched":      {"<Server>\n<Ports>\n</Portz>\n", "3: XML syntax error: element <Ports> closed by </Portz>"},
		"entity bomb":     {"<!DOCTYPE S [<!ENTITY a \"aa\"><!ENTITY b \"&a;&a;\">]>\n<Server><Ports><Offset>&b;</Offset></Ports></Server>", "2: XML syntax error: invalid character entity &b;"},
		"too deep":        {"<Server>" + strings.Repeat("\n<a>", maxXMLDepth) + "x", "101: XML nests deeper than 100 elements: not a configuration file"},
		"unknown charset": {"<?xml version=\"1.0\" encoding=\"EBCDIC-XYZ\"?>\n<Server/>", "1: XML: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCarbonXML([]byte(tc.data), "carbon.xml")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q...", err, tc.want)
			}
		})
	}
}

func TestParseJMXXML(t *testing.T) {
	data := []byte(`<JMX xmlns="http://wso2.org/projects/carbon/jmx.xml">
    <StartRMIServer>true</StartRMIServer>
    <HostName>localhost</HostName>
    <RMIRegistryPort>${Ports.JMX.RMIRegistryPort}</RMIRegistryPort>
    <RMIServerPort>11200</RMIServerPort>
</JMX>`)
	j, err := ParseJMXXML(data, "conf/etc/jmx.xml")
	if err != nil {
		t.Fatal(err)
	}
	if j.Start.Where() != "conf/etc/jmx.xml:2 StartRMIServer" || !javaBool(j.Start.Value) {
		t.Errorf("start = %+v", j.Start)
	}
	if j.RegistryPort.Value != "${Ports.JMX.RMIRegistryPort}" || j.RegistryPort.Line != 4 || j.ServerPort.Value != "11200" || j.HostName.Line != 3 {
		t.Errorf("jmx = %+v", j)
	}
	if _, err := ParseJMXXML([]byte("<Server/>"), "jmx.xml"); err == nil || err.Error() != "1: no <JMX> root element: not a jmx.xml" {
		t.Errorf("err = %v", err)
	}
}

func TestJavaBoolIsBooleanParseBoolean(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "TRUE": true, " True ": true, "yes": false, "1": false, "": false, "false": false} {
		if javaBool(v) != want {
			t.Errorf("javaBool(%q) = %v", v, !want)
		}
	}
}

func TestParseAxis2XMLTakesOnlyDirectParameters(t *testing.T) {
	data := []byte(`<axisconfig name="AxisJava2.0">
    <transportReceiver name="http" class="org.apache.synapse.transport.passthru.PassThroughHttpListener">
        <parameter name="port" locked="false">8280</parameter>
    </transportReceiver>
    <transportReceiver name="jms">
        <parameter name="myQueue"><parameter name="port">61616</parameter></parameter>
    </transportReceiver>
    <clustering class="org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent"
                enable="True">
        <parameter name="membershipScheme">wka</parameter>
        <parameter name="localMemberPort">4100</parameter>
        <parameter name="properties">
            <parameter name="localMemberPort">9</parameter>
        </parameter>
        <members><member><hostName>127.0.0.1</hostName><port>4000</port></member></members>
    </clustering>
</axisconfig>`)
	a, err := ParseAxis2XML(data, "conf/axis2/axis2.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Receivers) != 1 || a.Receivers["http"].Where() != "conf/axis2/axis2.xml:3 transportReceiver http port" {
		t.Errorf("receivers = %+v", a.Receivers)
	}
	c := a.Clustering
	// The start tag spans two lines: the element's line is where it begins.
	if c.Line != 8 || !javaBool(c.Enable.Value) || c.Scheme.Value != "wka" || c.LocalMemberPort.Value != "4100" || c.LocalMemberPort.Line != 11 || c.McastPort.Found() {
		t.Errorf("clustering = %+v", c)
	}
}

func TestParsePropertiesAsJavaDoes(t *testing.T) {
	data := []byte("# comment\n" + // 1
		"! also a comment\n" + // 2
		"a=1\n" + // 3
		"  b : 2 \n" + // 4
		"c 3\n" + // 5
		"d=one, \\\n" + // 6
		"   two\n" + // 7
		"e\\ f=\\u0041\\t\n" + // 8
		"a=last\r\n" + // 9
		"g=x\ry=z\n" + // 10, 11: a lone CR ends a line
		"h=\\\\\n" + // 12: an escaped backslash ends no line
		"\n" +
		"#x=ignored\\\n" + // a comment line is never continued
		"i=end\\") // 15: a continuation into nothing
	got := parseProperties(data)
	want := map[string]property{
		"a": {"last", 9}, "b": {"2 ", 4}, "c": {"3", 5}, "d": {"one, two", 6}, "e f": {"A\t", 8},
		"g": {"x", 10}, "y": {"z", 11}, "h": {`\`, 12}, "i": {"end", 15},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%q = %+v, want %+v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d keys: %v", len(got), got)
	}
}

func TestParseLog4j(t *testing.T) {
	const def = "log4j.appender.SYS=org.apache.log4j.net.SyslogAppender\nlog4j.appender.SYS.SyslogHost=localhost\n"
	for _, tc := range []struct {
		name, data string
		opens      bool
		why        string
	}{
		{"attached to the root logger", "log4j.rootLogger=INFO, CONSOLE, SYS\n" + def, true,
			"SYS (org.apache.log4j.net.SyslogAppender, l:2) is attached to the root logger (log4j.rootLogger) (l:1) and sends to localhost:514"},
		{"attached to a named logger", "log4j.rootLogger=INFO, CONSOLE\nlog4j.logger.org.wso2=DEBUG, SYS\n" + def, true,
			"SYS (org.apache.log4j.net.SyslogAppender, l:3) is attached to logger logger.org.wso2 (l:2) and sends to localhost:514"},
		{"rootCategory when rootLogger is absent", "log4j.rootCategory=, SYS\n" + def, true,
			"SYS (org.apache.log4j.net.SyslogAppender, l:2) is attached to the root logger (log4j.rootCategory) (l:1) and sends to localhost:514"},
		{"rootLogger wins over rootCategory", "log4j.rootLogger=INFO\nlog4j.rootCategory=INFO, SYS\n" + def, false,
			"SYS (l:3) defined but attached to no logger: log4j 1.x builds an appender only when a logger names it"},
		{"defined, unattached", "log4j.rootLogger=INFO, CONSOLE\n" + def, false,
			"SYS (l:2) defined but attached to no logger: log4j 1.x builds an appender only when a logger names it"},
		{"attached without SyslogHost", "log4j.rootLogger=INFO, SYS\nlog4j.appender.SYS=org.apache.log4j.net.SyslogAppender\n", false,
			"SYS (l:2) is attached to the root logger (log4j.rootLogger) (l:1) but has no SyslogHost: log4j 1.x opens its socket only in setSyslogHost"},
		{"a host with its port", "log4j.rootLogger=INFO,SYS\nlog4j.appender.SYS=org.apache.log4j.net.SyslogAppender\nlog4j.appender.SYS.SyslogHost=logs.example.com:5514\n", true,
			"SYS (org.apache.log4j.net.SyslogAppender, l:2) is attached to the root logger (log4j.rootLogger) (l:1) and sends to logs.example.com:5514"},
		{"none defined", "log4j.rootLogger=INFO, CONSOLE\n", false, "no org.apache.log4j.net.SyslogAppender is defined in l"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ParseLog4j([]byte(tc.data), "l")
			if s.Opens != tc.opens || s.Why != tc.why || s.Proto != UDP {
				t.Errorf("got %v %s %q\nwant %v udp %q", s.Opens, s.Proto, s.Why, tc.opens, tc.why)
			}
		})
	}
}

func TestParseLog4j2(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		opens      bool
		proto      Proto
		why        string
	}{
		{"commented out (MI, IS, EI 6.6)", "appenders = CONSOLE\n#appender.syslog.type = Syslog\n#rootLogger.appenderRef.syslog.ref = syslog\n", false, TCP,
			"no Syslog appender is defined in l (the sample is commented out)"},
		{"defined but not listed (API-M 3/4)", "appenders = CONSOLE\nappender.CARBON_SYS_LOG.type = Syslog\nappender.CARBON_SYS_LOG.name = CARBON_SYS_LOG\n", false, TCP,
			"Syslog appender CARBON_SYS_LOG (l:2) is defined but not listed in appenders= (l:1), so log4j2 never builds it"},
		{"listed, TCP by default, used by no logger", "appenders = CONSOLE, S\nappender.S.type = Syslog\nappender.S.name = S\n", false, TCP,
			"Syslog appender S (l:2) is listed in appenders= (l:1), so log4j2 builds it; protocol TCP (log4j2's default): it connects to localhost:514, keeping no socket while nothing listens there and otherwise an outgoing connection, never a listening port; used by no logger"},
		{"no appenders list: every appender is built", "appender.s.type = syslog\nappender.s.name = Sys\nappender.s.protocol = udp\nappender.s.host = logs\nrootLogger.appenderRef.x.ref = Sys\n", true, UDP,
			"Syslog appender s (l:1) is declared, so log4j2 builds it; protocol UDP (l:3): an unconnected UDP socket on an ephemeral port, sending to logs:514; used by the root logger (line 5)"},
		{"names match case and all", "appenders = s\nappender.s.type = Syslog\nappender.s.name = Syslog\nrootLogger.appenderRef.syslog.ref = syslog\nlogger.a.appenderRef.b.ref = Syslog\n", false, TCP,
			"Syslog appender s (l:2) is listed in appenders= (l:1), so log4j2 builds it; protocol TCP (log4j2's default): it connects to localhost:514, keeping no socket while nothing listens there and otherwise an outgoing connection, never a listening port; used by logger a (line 5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ParseLog4j2([]byte(tc.data), "l")
			if s.Opens != tc.opens || s.Proto != tc.proto || s.Why != tc.why {
				t.Errorf("got %v %s %q\nwant %v %s %q", s.Opens, s.Proto, s.Why, tc.opens, tc.proto, tc.why)
			}
		})
	}
}

func TestParseDeploymentTOML(t *testing.T) {
	data := []byte(`[server]
hostname = "localhost"
#offset=0
offset = 0x0A

[monitoring.jmx]
rmi_server_start = true

[[apim.gateway.environment]]
name = "Default"
[[apim.gateway.environment]]
name = "Second"

[clustering]
membership_scheme = "wka"
members = ["127.0.0.1:4000", "127.0.0.2:4000"]
local_member_port = 4_001
transport = { http = { listener = { port = 8281 } } }
`)
	d, err := ParseDeploymentTOML(data, "repository/conf/deployment.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"server.offset":                           "4 10 [server] offset",
		"monitoring.jmx.rmi_server_start":         "7 true [monitoring.jmx] rmi_server_start",
		"apim.gateway.environment[0].name":        "10 Default [apim.gateway.environment[0]] name",
		"apim.gateway.environment[1].name":        "12 Second [apim.gateway.environment[1]] name",
		"clustering.members":                      "16 127.0.0.1:4000, 127.0.0.2:4000 [clustering] members",
		"clustering.local_member_port":            "17 4001 [clustering] local_member_port",
		"clustering.transport.http.listener.port": "18 8281 [clustering.transport.http.listener] port",
	}
	for k, w := range want {
		s, ok := d.Values[k]
		if got := strconv.Itoa(s.Line) + " " + s.Value + " " + s.Key; !ok || got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	for name, tc := range map[string]struct{ data, want string }{
		"duplicate key":   {"[server]\noffset = 1\noffset = 2\n", "3: TOML: "},
		"bad value":       {"[server]\n\noffset = ?\n", "3: TOML: "},
		"redefined table": {"[a]\nx=1\n[a]\ny=2\n", "3: TOML: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDeploymentTOML([]byte(tc.data), "d.toml")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want %q... on one line", err, tc.want)
			}
		})
	}
}

func TestVersionRanges(t *testing.T) {
	for _, tc := range []struct {
		v      string
		r      []string
		within bool
	}{
		{"4.2.0", []string{"4", "4"}, true},
		{"5.10.0", []string{"5.0", "5.9"}, false},
		{"5.9.0", []string{"5.0", "5.9"}, true},
		{"5.10.0", []string{"5.10", "5.11"}, true},
		{"6.6.0", []string{"6.0", "6.5"}, false},
		{"1.0.0", []string{"1.1", "4"}, false},
		{"1.2.0", []string{"1.1", "4"}, true},
		{"7.1.0", []string{"6", "7"}, true},
	} {
		v, err := parseVersion(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if inRange(v, tc.r) != tc.within {
			t.Errorf("%s in %v = %v", tc.v, tc.r, !tc.within)
		}
	}
	for _, bad := range []string{"", "4.x", "1.2.3.4.5", "-1", "04"} {
		if _, err := parseVersion(bad); err == nil {
			t.Errorf("parseVersion(%q) succeeded", bad)
		}
	}
	if checkRange([]string{"5", "4"}) == nil || checkRange([]string{"4"}) == nil || checkRange([]string{"6.6", "6"}) != nil {
		t.Error("checkRange")
	}
}

func TestParseCatalinaXML(t *testing.T) {
	data := []byte(`<Server port="8005">
  <Service name="Catalina">
    <Connector port="9763" protocol="HTTP/1.1"/>
    <Connector port=" 9443 " scheme="https" SSLEnabled="true"/>
    <Connector port="8080"/>
    <Connector secure="TRUE" port="8443"/>
    <Engine><Connector port="1"/></Engine>
  </Service>
</Server>`)
	c, err := ParseCatalinaXML(data, "conf/tomcat/catalina-server.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Connectors) != 4 {
		t.Fatalf("%d connectors: only <Server><Service><Connector> counts", len(c.Connectors))
	}
	if h := c.pick("https"); h == nil || h.Port.Value != "9443" || h.Port.Where() != "conf/tomcat/catalina-server.xml:4 HTTPS <Connector port>" {
		t.Errorf("https %+v", h)
	}
	if h := c.pick("http"); h == nil || h.Port.Line != 3 {
		t.Errorf("http %+v", h)
	}
	var extra []string
	for _, k := range c.extras() {
		extra = append(extra, k.Port.Value)
	}
	if strings.Join(extra, ",") != "8080,8443" {
		t.Errorf("extras %v", extra)
	}
	for data, want := range map[string]string{
		"<Service/>":              "1: no <Server> root element: not a catalina-server.xml",
		"<Server>\n<Service>\n":   "3: XML ends inside <Service>",
		"<Server><Connector port": "1: XML ends inside <Server>",
	} {
		if _, err := ParseCatalinaXML([]byte(data), "c"); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", data, err, want)
		}
	}
}

func TestParseInboundEndpoint(t *testing.T) {
	data := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<inboundEndpoint xmlns="http://ws.apache.org/ns/synapse" name="WS" protocol="ws" suspend="false">
    <parameters>
        <parameter name="inbound.ws.port">9099</parameter>
        <parameter name="ws.use.port.offset">true</parameter>
        <parameter name="inbound.ws.port.extra">1</parameter>
        <parameter name="x"><parameter name="inbound.http.port">2</parameter></parameter>
    </parameters>
</inboundEndpoint>`)
	ep, err := ParseInboundEndpoint(data, "ie/WS.xml")
	if err != nil {
		t.Fatal(err)
	}
	if ep.Name != "WS" || !ep.wsProtocol() || ep.Port.Where() != "ie/WS.xml:4 inbound.ws.port" || ep.Port.Value != "9099" || ep.UseOffset.Line != 5 || ep.Suspend.Value != "false" {
		t.Errorf("%+v", ep)
	}
	if _, err := ParseInboundEndpoint([]byte("<proxy/>"), "p.xml"); err == nil || err.Error() != "1: no <inboundEndpoint> root element: not a Synapse inbound endpoint" {
		t.Errorf("err %v", err)
	}
	for name, want := range map[string]bool{"inbound.http.port": true, "inbound.hl7.port": true, "inbound.port": false, "inbound.a.b.port": false, "ws.port": false} {
		if isInboundPortParam(name) != want {
			t.Errorf("isInboundPortParam(%q) = %v", name, !want)
		}
	}
}
