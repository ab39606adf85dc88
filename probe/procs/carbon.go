// Package procs finds WSO2 Carbon server processes: from the wso2carbon.pid
// file a server writes under its home, and from the command line the start
// scripts build (main class, -Dcarbon.home, -DportOffset, JMX options).
package procs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Main classes of the start scripts: bin/wso2server.sh (and api-manager.sh,
// EI 6 integrator.sh, ...) end with the Carbon kernel's bootstrap class,
// bin/micro-integrator.sh with MI's own.
const (
	MainCarbon = "org.wso2.carbon.bootstrap.Bootstrap"
	MainMI     = "org.wso2.micro.integrator.bootstrap.Bootstrap"
)

// Product names as ParseCmdline reports them.
const (
	ProductCarbon = "carbon"
	ProductMI     = "mi"
)

// ErrUnsupported is returned where this package would need Linux's /proc.
var ErrUnsupported = errors.New("reading processes is supported on Linux only")

// JVMOptions are the JDK options that open or pin ports. They count only before
// the main class: the JDK starts its management agent while the VM starts,
// before Carbon's Main turns program arguments into system properties.
type JVMOptions struct {
	JMXRemote    bool   // -Dcom.sun.management.jmxremote: starts the local-only connector on a random port
	JMXLocalPort int    // -Dcom.sun.management.jmxremote.local.port: pins that port (0: random)
	JMXPort      int    // -Dcom.sun.management.jmxremote.port: the remote agent's registry (0: none)
	JMXRMIPort   int    // -Dcom.sun.management.jmxremote.rmi.port: the remote agent's RMI server (0: random)
	RMIHostname  string // -Djava.rmi.server.hostname: the host written into RMI stubs
	PreferIPv4   bool   // -Djava.net.preferIPv4Stack=true: sockets are IPv4 only
}

// Carbon is a Carbon server process as its command line describes it.
type Carbon struct {
	PID       int
	MainClass string
	Product   string // ProductCarbon or ProductMI
	Home      string // -Dcarbon.home; made absolute against the process's cwd by Find
	ConfigDir string // -Dcarbon.config.dir.path
	// Offset is the -DportOffset that wins, nil when none is given (then
	// carbon.xml or deployment.toml decides) or when it is not a number.
	Offset     *int
	OffsetFrom string // e.g. "-DportOffset=3 after the main class"
	JVMOptions
	Args  []string // the command line it was read from
	Notes []string // oddities worth telling a person, one line each
}

// ParseCmdline reads a Java command line (as in /proc/PID/cmdline, args[0]
// being the java binary). It returns false when no Carbon main class is on it.
func ParseCmdline(args []string) (*Carbon, bool) {
	mainAt := -1
	for i, a := range args {
		if i > 0 && (a == MainCarbon || a == MainMI) {
			mainAt = i
			break
		}
	}
	if mainAt < 0 {
		return nil, false
	}
	c := &Carbon{MainClass: args[mainAt], Product: ProductCarbon, Args: args}
	if c.MainClass == MainMI {
		c.Product = ProductMI
	}
	c.JVMOptions = ParseJVMOptions(args[:mainAt])

	// JVM options first, then program arguments: Carbon's Main applies the
	// latter with System.setProperty after the VM has set the former, so the
	// last program argument wins, else the last JVM option.
	var offsetArg string
	var offsetAfter bool
	for i, a := range args[1:] {
		after := i+1 > mainAt
		k, v, ok := sysProp(a)
		if !ok {
			continue
		}
		switch k {
		case "portOffset":
			offsetArg, offsetAfter = a, after
		case "carbon.home":
			if after && c.Home != "" && c.Home != v {
				c.Notes = append(c.Notes, fmt.Sprintf("%s after the main class moves the home Carbon reads its configuration from, but its pid file is still written under %s", a, c.Home))
			}
			c.Home = v
		case "carbon.config.dir.path":
			c.ConfigDir = v
		case "java.rmi.server.hostname":
			if after {
				c.RMIHostname = v
			}
		default:
			if after && strings.HasPrefix(k, "com.sun.management.jmxremote") {
				c.Notes = append(c.Notes, fmt.Sprintf("%s after the main class comes too late for the JDK management agent, which starts with the VM", a))
			}
		}
	}
	if offsetArg != "" {
		where := "before the main class (JVM option)"
		if offsetAfter {
			where = "after the main class (program argument)"
		}
		c.OffsetFrom = offsetArg + " " + where
		_, v, _ := sysProp(offsetArg)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("%s: want a whole number >= 0, Carbon fails to start with this", c.OffsetFrom))
		} else {
			c.Offset = &n
		}
	}
	return c, true
}

// ParseJVMOptions reads the port-related -D options of any JVM command line;
// pass only the part before the main class.
func ParseJVMOptions(args []string) JVMOptions {
	var o JVMOptions
	for _, a := range args {
		k, v, ok := sysProp(a)
		if !ok {
			continue
		}
		switch k {
		case "com.sun.management.jmxremote":
			o.JMXRemote = true
		case "com.sun.management.jmxremote.local.port":
			o.JMXLocalPort = port(v)
		case "com.sun.management.jmxremote.port":
			o.JMXPort = port(v)
			// The JDK starts the remote agent for .port even without the bare flag.
			o.JMXRemote = true
		case "com.sun.management.jmxremote.rmi.port":
			o.JMXRMIPort = port(v)
		case "java.rmi.server.hostname":
			o.RMIHostname = v
		case "java.net.preferIPv4Stack":
			o.PreferIPv4 = strings.EqualFold(v, "true")
		}
	}
	return o
}

// sysProp splits "-Dk=v"; "-Dk" alone is "true", as Carbon's Main and the JVM
// both read it.
func sysProp(a string) (k, v string, ok bool) {
	if !strings.HasPrefix(a, "-D") || len(a) < 3 {
		return "", "", false
	}
	k, v, found := strings.Cut(a[2:], "=")
	if !found {
		v = "true"
	}
	return k, v, true
}

func port(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return 0
	}
	return n
}

// Describe gives one line for a person: "mi pid 4242, home /opt/mi, offset 3 (-DportOffset=3 after the main class)".
func (c Carbon) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s pid %d", c.Product, c.PID)
	if c.Home != "" {
		fmt.Fprintf(&b, ", home %s", c.Home)
	}
	if c.Offset != nil {
		fmt.Fprintf(&b, ", offset %d (%s)", *c.Offset, c.OffsetFrom)
	} else {
		b.WriteString(", no -DportOffset on the command line")
	}
	return b.String()
}
