package expect

import (
	goflag "flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDocs = goflag.Bool("update-docs", false, "rewrite docs/products.md from the profiles")

// TestProductsDocIsCurrent keeps docs/products.md the profiles' own words:
// `go test ./expect -run TestProductsDoc -update-docs` rewrites it.
func TestProductsDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "docs", "products.md")
	got := productsDoc()
	if *updateDocs {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("docs/products.md is not what the profiles say: go test ./expect -run TestProductsDoc -update-docs")
	}
}

func productsDoc() string {
	var b strings.Builder
	b.WriteString(`# Products, versions and ports carbonprobe knows

Generated from the profiles (` + "`expect/profiles/*.toml`" + `) by
` + "`go test ./expect -run TestProductsDoc -update-docs`" + `: edit the profiles, not this page.
Every row cites the product source that decides it: the repository, the
commit of the copy read (` + "`wso2/carbon-kernel@07b7a62:...`" + `), the file and, for a
configuration file, its line (` + "`carbon.xml:135`" + `); for code, the class and method. Facts and citations beyond the
rows: [wso2-ports.md](wso2-ports.md).

Given ` + "`--carbon-home`" + `, carbonprobe picks the profile from the home: the start
scripts (` + "`bin/micro-integrator.sh`, `bin/integrator.sh`, `bin/api-manager.sh`, `bin/gateway.sh`, `bin/traffic-manager.sh`, `bin/api-cp.sh`" + `, ...),
then ` + "`updates/product.txt`" + ` (` + "`wso2am-4.2.0`, `wso2am-universal-gw-4.5.0`" + `), ` + "`bin/version.txt`" + `
(` + "`WSO2 API Manager v4.2.0`" + `), the directory's name (` + "`wso2is-5.11.0`" + `) and last
` + "`bin/wso2carbon-version.txt`" + ` (the kernel's own version, which every product ships), and
maps the version to the profile covering it. ` + "`--profile`" + ` overrides; ` + "`--runtime`" + `
chooses an EI 6 runtime (default integrator). On API-M 3 and 4, ` + "`-Dprofile=<node>`" + ` in the
Java options (the running server's command line) picks a node type, whose start script
(` + "`profileSetup.sh`" + `) takes listeners out.

Then the home's own files decide, each where the product reads it:

| file | what it decides |
|---|---|
| ` + "`deployment.toml`" + ` | where it exists (API-M 3+, IS 5.9+, MI 1.1+): ` + "`[server] offset`" + `, ` + "`[monitoring.jmx]`" + ` (` + "`rmi_server_start`" + `, ports), ` + "`[clustering]`" + ` (` + "`membership_scheme`" + ` switches Hazelcast on, ` + "`local_member_port`" + `; MI has no Hazelcast and ignores it), the transports' ports and switches, MI's ` + "`[mediation]`" + ` internal APIs. The server renders carbon.xml, jmx.xml and axis2.xml from it at every start, so those are then not read, unless ` + "`-DavoidConfigUpdate=true`" + ` is in the Java options: the config mapper then renders nothing and the XML files on disk decide. |
| ` + "`carbon.xml`" + ` | ` + "`<Offset>`" + ` (read untrimmed, as Carbon reads it: white space around the number stops the server, and carbonprobe says so) and every port under ` + "`<Ports>`" + ` |
| ` + "`etc/jmx.xml`" + ` | ` + "`<StartRMIServer>`" + `, read as JMXServerManager reads it: the value of the element's first child node (a comment before ` + "`true`" + ` switches JMX off); ` + "`${Ports.JMX.X}`" + ` takes carbon.xml's port plus the offset, a literal takes no offset |
| ` + "`tomcat/catalina-server.xml`" + ` | the servlet transports: every ` + "`<Connector port>`" + `, plus the offset; the first TLS one is ` + "`https`" + `, the first plain one ` + "`http`" + `, others are listed by their port |
| ` + "`axis2/axis2.xml`" + ` | ` + "`<clustering enable>`" + `, ` + "`membershipScheme`" + `, ` + "`localMemberPort`" + `, ` + "`mcastPort`" + ` (no offset); the pass-through listeners' ports |
| Synapse inbound endpoints (` + "`repository/deployment/server/synapse-configs/default/inbound-endpoints/*.xml`" + `) | the WebSocket and WebSub endpoints of API-M and any endpoint an operator deploys: ` + "`suspend`" + `, the ` + "`inbound.*.port`" + ` parameter; the offset applies only with ` + "`ws.use.port.offset`" + ` (WebSocket) or synapse.properties' ` + "`inbound.port.offset.enable`" + ` |
| ` + "`log4j.properties`" + ` | log4j 1.x: a SyslogAppender attached to a logger, with a SyslogHost, opens a random UDP port |
| ` + "`log4j2.properties`" + ` | log4j2 (read instead of log4j.properties where both exist): a Syslog appender log4j2 builds opens a random UDP port with ` + "`protocol = UDP`" + `; over TCP (the default) it keeps no listening port |
| the start script | ` + "`-Dcom.sun.management.jmxremote`" + ` (the JDK's local connector, a random TCP port) and its ` + "`local.port`" + ` pin; MI's ` + "`-DenableManagementApi`" + `, ` + "`-DenableReadinessProbe`" + ` and the like, which switch its internal listeners and its readiness and liveness endpoints |

Placeholders are resolved as the server resolves them: in deployment.toml
the config mapper's ` + "`$sys{name}`" + ` (a Java system property), ` + "`$env{NAME}`" + ` (an
environment variable) and ` + "`$ref{key}`" + ` (another key); in the XML files Carbon's
` + "`${name}`" + ` (a system property, else an environment variable). The properties are
the running server's command line (or ` + "`--java-opts`" + `), the environment the
running server's own when it is local, else carbonprobe's. A placeholder
that cannot be resolved makes its port's number unknown: the port is listed,
not checked, and a note names the variable and the file and line.

Offset precedence: ` + "`--offset`" + ` > ` + "`-DportOffset`" + ` > deployment.toml ` + "`[server] offset`" + ` > carbon.xml ` + "`<Offset>`" + ` > the profile's default.

A port marked **off** with "never opens" is one the product's documentation
lists but its source shows is never opened; rows marked **UNCONFIRMED** come
from documentation or defaults that could not be checked against the
product's source; they are optional, and say so.

Besides its ports, a profile names the product's own readiness and liveness
endpoints (` + "`[[signal]]`" + ` rows): an HTTP request on one of its ports, the answer
that counts, what a yes means, and when the endpoint exists. A signal is
asked only when its port is checked and the server's own switches make it
exist: MI's ` + "`-DenableReadinessProbe`" + ` and ` + "`-DenableLivenessProbe`" + ` (from the running
server's command line or the start script), ` + "`[readiness_probe]`" + ` and
` + "`[liveness_probe]`" + ` ` + "`protocols`" + `, IS's ` + "`[carbon_health_check] enable`" + `, API-M's node
types. A signal the configuration takes away is said in a note, with the
file and line or the ` + "`-D`" + ` option that did. A **required** signal that answers
otherwise fails the check; an **optional** one, whose answers the sources
leave UNCONFIRMED, is shown and never fails it.

`)
	b.WriteString("| profile | product | versions | offset | ports (base; * no offset) | signals |\n|---|---|---|---|---|---|\n")
	for _, p := range Profiles() {
		var ports []string
		for _, pp := range p.Ports {
			s := fmt.Sprintf("%s %d", pp.Name, pp.Base)
			if pp.Offset != nil && !*pp.Offset {
				s += "*"
			}
			ports = append(ports, s)
		}
		var signals []string
		for _, s := range p.Signals {
			signals = append(signals, fmt.Sprintf("%s %s %s", s.Kind, s.Port, s.Path))
		}
		if len(signals) == 0 {
			signals = []string{"none"}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %s | %s |\n", p.Name, p.Title, versionsText(p), p.DefaultOffset, strings.Join(ports, ", "), strings.Join(signals, ", "))
	}
	for _, p := range Profiles() {
		fmt.Fprintf(&b, "\n## `%s`: %s\n\n", p.Name, p.Title)
		if len(p.Aliases) > 0 {
			fmt.Fprintf(&b, "Also named %s. ", "`"+strings.Join(p.Aliases, "`, `")+"`")
		}
		fmt.Fprintf(&b, "Versions: %s. Configuration in `%s`; start script `%s`; main class `%s`.\n",
			versionsText(p), strings.Join(p.Conf, "` or `"), p.Script, strings.Join(p.MainClasses, "`, `"))
		fmt.Fprintf(&b, "Default offset %d (%s): %s.\n\n", p.DefaultOffset, p.DefaultOffsetWhy, p.DefaultOffsetSource)
		b.WriteString("| port | base | proto | answers | need | set or switched by | source |\n|---|---|---|---|---|---|---|\n")
		for _, pp := range p.Ports {
			need := string(pp.Need)
			if strings.Contains(pp.Condition, "UNCONFIRMED") {
				need += " **UNCONFIRMED**"
			}
			if pp.Condition != "" {
				need += ": " + pp.Condition
			}
			base := fmt.Sprint(pp.Base)
			if pp.Offset != nil && !*pp.Offset {
				base += " (no offset)"
			}
			if len(pp.Versions) == 2 {
				base += fmt.Sprintf(" (%s-%s)", pp.Versions[0], pp.Versions[1])
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", pp.Name, base, pp.Proto, pp.Role, cell(need), cell(setBy(pp)), cell(pp.Source))
		}
		if len(p.Nodes) > 0 {
			b.WriteString("\n| node type (-Dprofile) | ports off | why | source |\n|---|---|---|---|\n")
			for _, n := range p.Nodes {
				off := strings.Join(n.Off, ", ")
				if off == "" {
					off = "none"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", n.Name, off, cell(n.Why), cell(n.Source))
			}
		}
		for _, ig := range p.Ignore {
			fmt.Fprintf(&b, "\n`[%s]` in deployment.toml is not read: %s (%s).\n", ig.TOML, ig.Why, ig.Source)
		}
		b.WriteString("\n| random port | proto | expected | versions | why |\n|---|---|---|---|---|\n")
		for _, r := range p.Random {
			v := "all"
			if len(r.Versions) == 2 {
				v = r.Versions[0] + "-" + r.Versions[1]
			}
			fmt.Fprintf(&b, "| %s | %s | %v | %s | %s |\n", r.Kind, r.Proto, r.Expected, v, cell(r.Why))
		}
		signalsDoc(&b, p)
	}
	return b.String()
}

// signalsDoc writes a profile's readiness and liveness endpoints.
func signalsDoc(b *strings.Builder, p *Profile) {
	if len(p.Signals) == 0 {
		fmt.Fprintf(b, "\nNo readiness or liveness endpoint: %s.\n", strings.TrimSuffix(p.NoSignals, "."))
		return
	}
	b.WriteString("\n| signal | port | request | answer that counts | need | versions | exists when | means | source |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range p.Signals {
		role, _ := p.portRole(s.Port)
		answer := "2xx or 3xx"
		if len(s.Status) > 0 {
			answer = strings.Join(s.Status, " or ")
		}
		if s.Body != "" {
			answer += ", body matching `" + s.Body + "`"
		}
		if s.Header != "" {
			answer += ", header `" + s.Header + "`"
		}
		need := string(s.Need)
		if need == "" {
			need = string(Required)
		}
		if strings.Contains(s.Condition, "UNCONFIRMED") {
			need += " **UNCONFIRMED**"
		}
		v := "all"
		if len(s.Versions) == 2 {
			v = s.Versions[0] + "-" + s.Versions[1]
		}
		// The condition says when the endpoint exists (parseProfile holds a
		// switched signal to one); the node types are the rows' own.
		when := orDefault(s.Condition, "always, with its port")
		if len(s.Nodes) > 0 {
			when = joinSentences(when, "Served by the all-in-one node and -Dprofile="+strings.Join(s.Nodes, ", -Dprofile=")+" only: "+s.NodesWhy)
		}
		fmt.Fprintf(b, "| %s | %s (%s) | GET %s | %s | %s | %s | %s | %s | %s |\n", s.Kind, s.Port, role, s.Path,
			cell(answer), need, v, cell(when), cell(s.Means), cell(s.Source))
	}
}

func versionsText(p *Profile) string {
	if len(p.Versions) != 2 {
		return "any"
	}
	if p.Versions[0] == p.Versions[1] {
		return p.Versions[0] + ".x"
	}
	return p.Versions[0] + " to " + p.Versions[1]
}

func setBy(pp profPort) string {
	var s []string
	switch pp.Feature {
	case FeatureJMXRegistry, FeatureJMXServer:
		s = append(s, "etc/jmx.xml StartRMIServer and its port template", "deployment.toml monitoring.jmx.rmi_server_start")
	case FeatureClusterMember:
		s = append(s, "axis2.xml clustering enable, localMemberPort", "deployment.toml clustering.membership_scheme, local_member_port")
	case FeatureClusterMulticast:
		s = append(s, "axis2.xml clustering enable, membershipScheme multicast, mcastPort", "deployment.toml clustering.membership_scheme = multicast")
	}
	if pp.CarbonXML != "" {
		s = append(s, "carbon.xml "+pp.CarbonXML)
	}
	if pp.Axis2Receiver != "" {
		s = append(s, "axis2.xml transportReceiver "+pp.Axis2Receiver)
	}
	if pp.TOML != "" {
		s = append(s, "deployment.toml "+pp.TOML)
	}
	if pp.TOMLEnable != "" {
		s = append(s, "deployment.toml "+pp.TOMLEnable)
	}
	if pp.Catalina != "" {
		s = append(s, "catalina-server.xml "+strings.ToUpper(pp.Catalina)+" <Connector port>")
	}
	if pp.Inbound != "" {
		s = append(s, "inbound endpoint "+pp.Inbound)
	}
	if len(pp.SysEnable) > 0 {
		s = append(s, "-D"+strings.Join(pp.SysEnable, ", -D"))
	}
	if len(s) == 0 {
		return "the profile"
	}
	return strings.Join(s, "; ")
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
