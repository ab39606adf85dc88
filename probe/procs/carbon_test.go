package procs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readCmdline(t *testing.T, name string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
}

func TestParseCmdlineScriptSamples(t *testing.T) {
	type want struct {
		product, home, configDir string
		offset                   int // -1: none
		offsetFrom               string
		jvm                      JVMOptions
	}
	tests := []struct {
		file string
		want want
	}{
		{"wso2server-offset-both.cmdline", want{
			product: ProductCarbon, home: "/opt/wso2am-2.6.0", configDir: "/opt/wso2am-2.6.0/repository/conf",
			offset: 3, offsetFrom: "-DportOffset=3 after the main class (program argument)",
			jvm: JVMOptions{JMXRemote: true, PreferIPv4: true},
		}},
		{"wso2server-offset-jvm.cmdline", want{
			product: ProductCarbon, home: "/opt/wso2ei-6.5.0/wso2/broker", configDir: "/opt/wso2ei-6.5.0/wso2/broker/repository/conf",
			offset: 2, offsetFrom: "-DportOffset=2 before the main class (JVM option)",
			jvm: JVMOptions{JMXRemote: true, JMXLocalPort: 23456, RMIHostname: "10.0.0.5", PreferIPv4: true},
		}},
		{"wso2server-no-offset.cmdline", want{
			product: ProductCarbon, home: "/opt/wso2is-5.8.0", configDir: "/opt/wso2is-5.8.0/repository/conf",
			offset: -1, jvm: JVMOptions{JMXRemote: true, PreferIPv4: true},
		}},
		{"micro-integrator-offset-twice.cmdline", want{
			product: ProductMI, home: "/opt/wso2mi-4.2.0", configDir: "/opt/wso2mi-4.2.0/conf",
			offset: 7, offsetFrom: "-DportOffset=7 after the main class (program argument)",
			jvm: JVMOptions{JMXRemote: true, PreferIPv4: true},
		}},
		{"micro-integrator-jmx-remote.cmdline", want{
			product: ProductMI, home: "/opt/wso2mi-4.2.0", configDir: "/opt/wso2mi-4.2.0/conf",
			offset: 10, offsetFrom: "-DportOffset=10 before the main class (JVM option)",
			jvm: JVMOptions{JMXRemote: true, JMXPort: 9010, JMXRMIPort: 9011, PreferIPv4: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, ok := ParseCmdline(readCmdline(t, tt.file))
			if !ok {
				t.Fatal("not recognised as a Carbon server")
			}
			if c.Product != tt.want.product || c.Home != tt.want.home || c.ConfigDir != tt.want.configDir {
				t.Errorf("product, home, config = %q %q %q; want %q %q %q", c.Product, c.Home, c.ConfigDir, tt.want.product, tt.want.home, tt.want.configDir)
			}
			switch {
			case tt.want.offset < 0 && c.Offset != nil:
				t.Errorf("offset = %d (%s); want none", *c.Offset, c.OffsetFrom)
			case tt.want.offset >= 0 && (c.Offset == nil || *c.Offset != tt.want.offset):
				t.Errorf("offset = %v; want %d", c.Offset, tt.want.offset)
			}
			if c.OffsetFrom != tt.want.offsetFrom {
				t.Errorf("offset from %q; want %q", c.OffsetFrom, tt.want.offsetFrom)
			}
			if c.JVMOptions != tt.want.jvm {
				t.Errorf("JVM options %+v; want %+v", c.JVMOptions, tt.want.jvm)
			}
			if len(c.Notes) != 0 {
				t.Errorf("unexpected notes: %q", c.Notes)
			}
		})
	}
}

func TestParseCmdlineEdges(t *testing.T) {
	java := "/usr/bin/java"
	t.Run("not carbon", func(t *testing.T) {
		for _, args := range [][]string{
			nil,
			{java, "-jar", "app.jar"},
			{MainCarbon}, // the class name as the program itself is not a JVM running it
			{java, "-cp", "x", "org.wso2.carbon.bootstrap.BootstrapX"},
		} {
			if c, ok := ParseCmdline(args); ok || c != nil {
				t.Errorf("%q: recognised as Carbon: %+v", args, c)
			}
		}
	})
	t.Run("bare -DportOffset is not a number", func(t *testing.T) {
		c, ok := ParseCmdline([]string{java, MainCarbon, "-DportOffset"})
		if !ok || c.Offset != nil || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "-DportOffset after the main class") {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("negative offset", func(t *testing.T) {
		c, _ := ParseCmdline([]string{java, "-DportOffset=-1", MainMI})
		if c.Offset != nil || len(c.Notes) != 1 {
			t.Errorf("got offset %v notes %q", c.Offset, c.Notes)
		}
	})
	t.Run("JVM option after a program argument does not exist: last program argument wins", func(t *testing.T) {
		c, _ := ParseCmdline([]string{java, "-DportOffset=9", MainCarbon, "-DportOffset=1", "-DportOffset=4"})
		if c.Offset == nil || *c.Offset != 4 {
			t.Errorf("offset %v; want 4", c.Offset)
		}
	})
	t.Run("jmxremote after the main class comes too late", func(t *testing.T) {
		c, _ := ParseCmdline([]string{java, MainCarbon, "-Dcom.sun.management.jmxremote.local.port=5555"})
		if c.JMXRemote || c.JMXLocalPort != 0 || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "too late") {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("rmi hostname: program argument wins", func(t *testing.T) {
		c, _ := ParseCmdline([]string{java, "-Djava.rmi.server.hostname=a", MainCarbon, "-Djava.rmi.server.hostname=b"})
		if c.RMIHostname != "b" {
			t.Errorf("RMIHostname %q; want b", c.RMIHostname)
		}
	})
	t.Run("carbon.home on both sides", func(t *testing.T) {
		c, _ := ParseCmdline([]string{java, "-Dcarbon.home=/a", MainCarbon, "-Dcarbon.home=/b"})
		if c.Home != "/b" || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "pid file is still written under /a") {
			t.Errorf("home %q notes %q", c.Home, c.Notes)
		}
	})
	t.Run("out of range JMX port is no port", func(t *testing.T) {
		o := ParseJVMOptions([]string{java, "-Dcom.sun.management.jmxremote.local.port=70000"})
		if o.JMXLocalPort != 0 || o.JMXRemote {
			t.Errorf("got %+v", o)
		}
	})
}

func TestDescribe(t *testing.T) {
	c, _ := ParseCmdline(readCmdline(t, "micro-integrator-offset-twice.cmdline"))
	c.PID = 4242
	want := "mi pid 4242, home /opt/wso2mi-4.2.0, offset 7 (-DportOffset=7 after the main class (program argument))"
	if got := c.Describe(); got != want {
		t.Errorf("Describe() = %q\nwant %q", got, want)
	}
}

func FuzzParseCmdline(f *testing.F) {
	for _, name := range []string{"wso2server-offset-both.cmdline", "micro-integrator-jmx-remote.cmdline"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("java\x00-DportOffset\x00" + MainMI + "\x00-D\x00-D=\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		args := strings.Split(string(raw), "\x00")
		c, ok := ParseCmdline(args)
		if ok != (c != nil) {
			t.Fatalf("ok %v with carbon %v", ok, c)
		}
		if c != nil {
			if c.Offset != nil && *c.Offset < 0 {
				t.Fatalf("negative offset %d", *c.Offset)
			}
			if (c.Offset != nil) && c.OffsetFrom == "" {
				t.Fatal("offset without its source")
			}
			if c.JMXLocalPort < 0 || c.JMXLocalPort > 65535 {
				t.Fatalf("local port %d", c.JMXLocalPort)
			}
		}
	})
}
