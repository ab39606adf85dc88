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
Facts and citations: [wso2-ports.md](wso2-ports.md).

Given ` + "`--carbon-home`" + `, carbonprobe picks the profile from the home: the start
scripts (` + "`bin/micro-integrator.sh`, `bin/integrator.sh`, `bin/api-manager.sh`" + `, ...),
then ` + "`updates/product.txt`" + ` (` + "`wso2am-4.2.0`" + `), ` + "`bin/version.txt`" + `
(` + "`WSO2 API Manager v4.2.0`" + `) and the directory's name (` + "`wso2is-5.11.0`" + `), and
maps the version to the profile covering it. ` + "`--profile`" + ` overrides; ` + "`--runtime`" + `
chooses an EI 6 runtime (default integrator).

Then the home's own files decide, each where the product reads it:

| file | what it decides |
|---|---|
| ` + "`deployment.toml`" + ` | where it exists (API-M 3+, IS 5.9+, MI 1.1+): ` + "`[server] offset`" + `, ` + "`[monitoring.jmx]`" + ` (` + "`rmi_server_start`" + `, ports), ` + "`[clustering]`" + ` (` + "`membership_scheme`" + ` switches Hazelcast on, ` + "`local_member_port`" + `), MI's ` + "`[transport.http]`" + ` and ` + "`[mediation]`" + ` ports. The server renders carbon.xml, jmx.xml and axis2.xml from it at every start, so those are then not read. |
| ` + "`carbon.xml`" + ` | ` + "`<Offset>`" + ` and every port under ` + "`<Ports>`" + `, with ` + "`${...}`" + ` system properties (from ` + "`--java-opts`" + `) |
| ` + "`etc/jmx.xml`" + ` | ` + "`<StartRMIServer>`" + ` (JMX on or off); ` + "`${Ports.JMX.X}`" + ` takes carbon.xml's port plus the offset, a literal takes no offset |
| ` + "`axis2/axis2.xml`" + ` | ` + "`<clustering enable>`" + `, ` + "`membershipScheme`" + `, ` + "`localMemberPort`" + `, ` + "`mcastPort`" + ` (no offset); the pass-through listeners' ports |
| ` + "`log4j.properties`" + ` | log4j 1.x: a SyslogAppender attached to a logger, with a SyslogHost, opens a random UDP port |
| ` + "`log4j2.properties`" + ` | log4j2 (read instead of log4j.properties where both exist): a Syslog appender log4j2 builds (listed in ` + "`appenders =`" + `, or any when that key is absent) connects over TCP unless ` + "`protocol = UDP`" + ` |
| the start script | ` + "`-Dcom.sun.management.jmxremote`" + ` (the JDK's local connector, a random TCP port) and its ` + "`local.port`" + ` pin |

Offset precedence: ` + "`--offset`" + ` > ` + "`-DportOffset`" + ` > deployment.toml ` + "`[server] offset`" + ` > carbon.xml ` + "`<Offset>`" + ` > the profile's default.

Rows marked **UNCONFIRMED** come from documentation or defaults that could not
be checked against the product's runtime; they are optional, and say so.

`)
	b.WriteString("| profile | product | versions | offset | ports (base; * no offset) |\n|---|---|---|---|---|\n")
	for _, p := range Profiles() {
		var ports []string
		for _, pp := range p.Ports {
			s := fmt.Sprintf("%s %d", pp.Name, pp.Base)
			if pp.Offset != nil && !*pp.Offset {
				s += "*"
			}
			ports = append(ports, s)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %s |\n", p.Name, p.Title, versionsText(p), p.DefaultOffset, strings.Join(ports, ", "))
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
		b.WriteString("\n| random port | proto | expected | versions | why |\n|---|---|---|---|---|\n")
		for _, r := range p.Random {
			v := "all"
			if len(r.Versions) == 2 {
				v = r.Versions[0] + "-" + r.Versions[1]
			}
			fmt.Fprintf(&b, "| %s | %s | %v | %s | %s |\n", r.Kind, r.Proto, r.Expected, v, cell(r.Why))
		}
	}
	return b.String()
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
	if len(s) == 0 {
		return "the profile"
	}
	return strings.Join(s, "; ")
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
