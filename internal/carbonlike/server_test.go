package carbonlike

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func dialAll(t *testing.T, ports map[string]int) {
	t.Helper()
	for name, port := range ports {
		c, err := net.DialTimeout("tcp", addr(port), 10*time.Second)
		if err != nil {
			t.Errorf("port %s=%d: expected a TCP accept, got %v", name, port, err)
			continue
		}
		c.Close()
	}
}

func expectPorts(t *testing.T, s *Server, names []string) {
	t.Helper()
	bases := Bases(s.Profile)
	maps.Copy(bases, jmxBases)
	if got := slices.Sorted(maps.Keys(s.Ports)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Fatalf("ready line names %v, expected %v", got, slices.Sorted(slices.Values(names)))
	}
	for _, name := range names {
		if want := bases[name] + s.Offset; s.Ports[name] != want {
			t.Errorf("%s: expected %d (%d + offset %d), ready line says %d", name, want, bases[name], s.Offset, s.Ports[name])
		}
	}
}

func waitExit(t *testing.T, s *Server) {
	t.Helper()
	select {
	case <-s.Exited():
	case <-time.After(startTimeout):
		t.Fatalf("expected pid %d to exit, still running after %v", s.PID, startTimeout)
	}
}

func TestProfilesOpenEveryPort(t *testing.T) {
	for _, profile := range []string{"carbon", "mi"} {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			s := Start(t, Options{Profile: profile})
			expectPorts(t, s, slices.Collect(maps.Keys(Bases(profile))))
			owned := listening(t, s.PID)
			for name, port := range s.Ports {
				l, ok := owned[port]
				if !ok {
					t.Errorf("%s=%d: expected a listener owned by pid %d, /proc shows none", name, port, s.PID)
				} else if l.proto != "tcp" || !l.ip.Equal(net.IPv4zero) {
					t.Errorf("%s=%d: expected the IPv4 wildcard (preferIPv4Stack), got %s %v", name, port, l.proto, l.ip)
				}
			}
			dialAll(t, s.Ports)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := s.WaitReady(ctx); err != nil {
				t.Errorf("WaitReady after ready: %v", err)
			}
		})
	}
}

func TestOffsetSources(t *testing.T) {
	cases := []struct {
		profile, in string
		set         bool // Options.OffsetSet with a FreeOffset, else the harness's own choice
	}{
		{"carbon", "flag", true},
		{"carbon", "jvm", true},
		{"carbon", "carbon.xml", true},
		{"carbon", "carbon.xml", false},
		{"mi", "flag", true},
		{"mi", "jvm", false},
		{"mi", "deployment.toml", true},
		{"carbon", "default", false},
		{"mi", "default", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/set=%v", c.profile, c.in, c.set), func(t *testing.T) {
			t.Parallel()
			opt := Options{Profile: c.profile, OffsetIn: c.in, NoJMXRemote: true}
			want := -1
			if c.set {
				want = FreeOffset(t, c.profile)
				opt.Offset, opt.OffsetSet = want, true
			}
			if c.in == "default" {
				want = DefaultOffset(c.profile)
			}
			s := Start(t, opt)
			if want >= 0 && s.Offset != want {
				t.Fatalf("expected offset %d, ready line says %d", want, s.Offset)
			}
			expectPorts(t, s, slices.Collect(maps.Keys(Bases(c.profile))))
			dialAll(t, s.Ports)

			// Where the offset went must be where the server found it.
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.PID))
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
			mainAt := slices.Index(args, mainClasses[c.profile])
			flagAt := slices.Index(args, "-DportOffset="+strconv.Itoa(s.Offset))
			switch c.in {
			case "flag":
				if mainAt < 0 || flagAt != mainAt+1 {
					t.Errorf("expected -DportOffset=%d right after the main class, cmdline %q", s.Offset, args)
				}
			case "jvm":
				if flagAt < 0 || flagAt > mainAt {
					t.Errorf("expected -DportOffset=%d before the main class, cmdline %q", s.Offset, args)
				}
			default:
				if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-DportOffset") }) {
					t.Errorf("expected no -DportOffset with OffsetIn %s, cmdline %q", c.in, args)
				}
			}
		})
	}
}

// The flag beats carbon.xml, as System.getProperty("portOffset", <Offset>) does in Carbon.
func TestOffsetFlagBeatsCarbonXML(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	conf := filepath.Join(home, "repository", "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	// An offset that would put every port in the privileged range if it were used.
	xml := `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Ports><Offset>-9000</Offset></Ports></Server>`
	if err := os.WriteFile(filepath.Join(conf, "carbon.xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Start(t, Options{Home: home})
	expectPorts(t, s, slices.Collect(maps.Keys(Bases("carbon"))))
}

// carbon.xml <JMX> ports and jmx.xml <HostName>/<StartRMIServer> are read like JMXServerManager does.
func TestJMXConfigFiles(t *testing.T) {
	t.Parallel()
	t.Run("ports and host", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		writeFile(t, filepath.Join(home, "repository/conf/carbon.xml"), `<?xml version="1.0"?>
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
  <Ports><Offset>0</Offset>
    <JMX><RMIRegistryPort>9998</RMIRegistryPort><RMIServerPort>11112</RMIServerPort></JMX>
  </Ports>
</Server>`)
		writeFile(t, filepath.Join(home, "repository/conf/etc/jmx.xml"), `<JMX xmlns="http://wso2.org/projects/carbon/jmx.xml">
  <StartRMIServer>true</StartRMIServer><HostName>127.0.0.1</HostName>
  <RMIRegistryPort>${Ports.JMX.RMIRegistryPort}</RMIRegistryPort>
</JMX>`)
		s := Start(t, Options{Home: home, OffsetIn: "carbon.xml"})
		if s.Ports["jmx-registry"] != 9998+s.Offset || s.Ports["jmx-server"] != 11112+s.Offset {
			t.Fatalf("expected jmx-registry=%d jmx-server=%d from carbon.xml, got %v", 9998+s.Offset, 11112+s.Offset, s.Ports)
		}
		want := fmt.Sprintf("service:jmx:rmi://127.0.0.1:%d/jndi/rmi://127.0.0.1:%d/jmxrmi", s.Ports["jmx-server"], s.Ports["jmx-registry"])
		if s.JMXURL != want {
			t.Errorf("expected JMX Service URL %s, logged %q", want, s.JMXURL)
		}
		if !strings.Contains(s.Output(), "{JMXServerManager} - JMX Service URL  : "+want) {
			t.Errorf("expected Carbon's JMXServerManager line for %s in the output", want)
		}
	})
	t.Run("StartRMIServer false", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		writeFile(t, filepath.Join(home, "repository/conf/etc/jmx.xml"),
			`<JMX xmlns="http://wso2.org/projects/carbon/jmx.xml"><StartRMIServer>false</StartRMIServer></JMX>`)
		s := Start(t, Options{Home: home})
		expectPorts(t, s, []string{"https", "http"})
		if s.JMXURL != "" {
			t.Errorf("expected no JMX Service URL, logged %q", s.JMXURL)
		}
	})
	t.Run("mi with carbonlike.jmx", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{Profile: "mi", Props: map[string]string{"carbonlike.jmx": "true"}})
		expectPorts(t, s, append(slices.Collect(maps.Keys(Bases("mi"))), "jmx-registry", "jmx-server"))
		dialAll(t, s.Ports)
	})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Exactly one listener beyond the named ports: the JDK's jmxremote local connector, at an
// ephemeral port on the wildcard; none without -Dcom.sun.management.jmxremote. The syslog sender
// is one unconnected UDP socket.
func TestRandomPorts(t *testing.T) {
	extras := func(t *testing.T, s *Server) []sock {
		var out []sock
		named := map[int]bool{}
		for _, p := range s.Ports {
			named[p] = true
		}
		for port, l := range listening(t, s.PID) {
			if !named[port] {
				out = append(out, l)
			}
		}
		return out
	}
	udp := func(t *testing.T, s *Server) []sock {
		var out []sock
		for _, so := range procSockets(t, s.PID) {
			if strings.HasPrefix(so.proto, "udp") {
				out = append(out, so)
			}
		}
		return out
	}
	t.Run("jmxremote and syslog", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{})
		ex := extras(t, s)
		if len(ex) != 1 {
			t.Fatalf("expected exactly one extra TCP listener (jmxremote), got %+v", ex)
		}
		if ex[0].port < 32768 || !ex[0].ip.Equal(net.IPv4zero) {
			t.Errorf("expected the jmxremote port on 0.0.0.0 in the ephemeral range, got %v:%d", ex[0].ip, ex[0].port)
		}
		// It is a JRMP endpoint: the handshake "JRMI", version 2, StreamProtocol gets ProtocolAck (0x4e).
		c, err := net.DialTimeout("tcp", addr(ex[0].port), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write([]byte{'J', 'R', 'M', 'I', 0, 2, 0x4b}); err != nil {
			t.Fatal(err)
		}
		ack := make([]byte, 1)
		if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x4e {
			t.Errorf("expected JRMP ProtocolAck 0x4e from the jmxremote port, got %x, %v", ack, err)
		}

		u := udp(t, s)
		if len(u) != 1 || u[0].port != s.SyslogPort || u[0].state != "07" || !u[0].ip.Equal(net.IPv4zero) {
			t.Errorf("expected one unconnected UDP socket 0.0.0.0:%d (state 07), got %+v", s.SyslogPort, u)
		}
	})
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{NoJMXRemote: true, Props: map[string]string{"carbonlike.syslog": "false"}})
		if ex := extras(t, s); len(ex) != 0 {
			t.Errorf("expected no extra TCP listener without jmxremote, got %+v", ex)
		}
		if u := udp(t, s); len(u) != 0 || s.SyslogPort != 0 {
			t.Errorf("expected no UDP socket with carbonlike.syslog=false, got %+v (logged port %d)", u, s.SyslogPort)
		}
	})
	t.Run("dual stack", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{NoPreferIPv4: true, NoJMXRemote: true})
		for name, port := range s.Ports {
			l := listening(t, s.PID)[port]
			if l.proto != "tcp6" || !l.ip.Equal(net.IPv6unspecified) {
				t.Errorf("%s=%d: expected [::] (Java's dual stack) without preferIPv4Stack, got %s %v", name, port, l.proto, l.ip)
			}
		}
		dialAll(t, s.Ports)
	})
}

func TestPIDFile(t *testing.T) {
	for _, profile := range []string{"carbon", "mi"} {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			s := Start(t, Options{Profile: profile, NoJMXRemote: true})
			got, err := os.ReadFile(filepath.Join(s.Home, "wso2carbon.pid"))
			if err != nil {
				t.Fatal(err)
			}
			want := []byte(strconv.Itoa(s.PID))
			if profile == "carbon" {
				// Carbon's Main.writePID: digits, "\n", NULs up to its 100-byte buffer.
				want = append(want, '\n')
				want = append(want, make([]byte, 100-len(want))...)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("expected pid file %q, got %q", want, got)
			}
			s.Stop()
			if code := s.ExitCode(); code != 0 {
				t.Errorf("expected exit status 0 after SIGTERM, got %d", code)
			}
			if _, err := os.Stat(filepath.Join(s.Home, "wso2carbon.pid")); !os.IsNotExist(err) {
				t.Errorf("expected the pid file removed on SIGTERM, stat says %v", err)
			}
		})
	}
}

func TestLogFile(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Profile: "mi", NoJMXRemote: true})
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	ready := 0
	for _, l := range lines {
		// [2026-11-25 18:00:00,123]  INFO {Bootstrap} - ...
		if len(l) < 27 || l[0] != '[' || l[24] != ']' || l[11] != ' ' || l[20] != ',' || !strings.Contains(l, "} - ") {
			t.Errorf("expected a Carbon log line, got %q", l)
		}
		if strings.Contains(l, readyMarker) {
			ready++
		}
	}
	if ready != 1 {
		t.Errorf("expected exactly one ready line in %s, got %d", s.LogPath, ready)
	}
	if !strings.HasPrefix(lines[0][25:], "  INFO {Bootstrap} - ") {
		t.Errorf("expected Carbon's \"[date]  INFO {Bootstrap} - \" layout, got %q", lines[0])
	}
}

func TestSkipDelayExitAfter(t *testing.T) {
	t.Run("skip", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{Props: map[string]string{"carbonlike.skip": "http,jmx-server"}})
		expectPorts(t, s, []string{"https", "jmx-registry"})
		owned := listening(t, s.PID)
		for _, base := range []int{9763, 11111} {
			if _, ok := owned[base+s.Offset]; ok {
				t.Errorf("expected skipped port %d not bound by pid %d", base+s.Offset, s.PID)
			}
		}
		if s.JMXURL != "" {
			t.Errorf("expected no JMX Service URL without jmx-server, got %q", s.JMXURL)
		}
	})
	t.Run("delay", func(t *testing.T) {
		t.Parallel()
		const delay, portDelay = 700 * time.Millisecond, 1500 * time.Millisecond
		start := time.Now()
		s := Start(t, Options{Props: map[string]string{
			"carbonlike.delay":       strconv.Itoa(int(delay / time.Millisecond)),
			"carbonlike.delay.https": strconv.Itoa(int(portDelay / time.Millisecond)),
		}})
		// Sleeps give lower bounds only, so this cannot flake on a slow machine.
		if took := time.Since(start); took < delay+portDelay {
			t.Errorf("expected ready no sooner than %v, took %v", delay+portDelay, took)
		}
		var order []string
		for _, l := range strings.Split(s.Output(), "\n") {
			if _, rest, ok := strings.Cut(l, "carbonlike: opened "); ok {
				order = append(order, strings.Fields(rest)[0])
			}
		}
		if want := []string{"http", "jmx-registry", "jmx-server", "https"}; !slices.Equal(order, want) {
			t.Errorf("expected the delayed https port opened last %v, got %v", want, order)
		}
		expectPorts(t, s, slices.Collect(maps.Keys(Bases("carbon"))))
	})
	t.Run("exitAfter", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{NoWait: true, Props: map[string]string{
			"carbonlike.exitAfter": "200", "carbonlike.delay": "60000"}})
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		err := s.WaitReady(ctx)
		if err == nil || !strings.Contains(err.Error(), "exited with status 1") {
			t.Errorf("expected WaitReady to report exit status 1, got %v", err)
		}
		waitExit(t, s)
		if code := s.ExitCode(); code != 1 {
			t.Errorf("expected exit status 1, got %d", code)
		}
		if !strings.Contains(s.Output(), "carbonlike: simulated crash") {
			t.Errorf("expected the crash line in the output:\n%s", s.Output())
		}
		// A crashed Carbon leaves a stale pid file behind; so must we.
		if _, err := os.Stat(filepath.Join(s.Home, "wso2carbon.pid")); err != nil {
			t.Errorf("expected a stale pid file after the crash, got %v", err)
		}
	})
	t.Run("exitAfter when ready", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{Props: map[string]string{"carbonlike.exitAfter": "3000"}})
		waitExit(t, s)
		if code := s.ExitCode(); code != 1 {
			t.Errorf("expected exit status 1 after the simulated crash, got %d", code)
		}
	})
}

func TestBadConfigurationExits3(t *testing.T) {
	cases := []struct {
		name string
		opt  Options
		file [2]string
		want string
	}{
		{"jvm", Options{OffsetIn: "jvm", JVMArgs: []string{"-DportOffset=x"}}, [2]string{}, `invalid -DportOffset: expected a non-negative integer, got "x"`},
		{"carbon.xml", Options{OffsetIn: "default"}, [2]string{"repository/conf/carbon.xml",
			`<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Ports><Offset>1O</Offset></Ports></Server>`},
			`invalid <Ports><Offset> in carbon.xml: expected a non-negative integer, got "1O"`},
		{"deployment.toml", Options{Profile: "mi", OffsetIn: "default"}, [2]string{"conf/deployment.toml", "[server]\noffset = \"ten\"\n"},
			`invalid [server] offset in deployment.toml: expected a non-negative integer, got "ten"`},
		{"skip", Options{Props: map[string]string{"carbonlike.skip": "htps"}}, [2]string{}, "-Dcarbonlike.skip names htps"},
		{"delay", Options{Props: map[string]string{"carbonlike.delay": "soon"}}, [2]string{}, `invalid -Dcarbonlike.delay: expected milliseconds >= 0, got "soon"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.opt.Home = t.TempDir()
			c.opt.NoWait, c.opt.NoJMXRemote = true, true
			if c.file[0] != "" {
				writeFile(t, filepath.Join(c.opt.Home, c.file[0]), c.file[1])
			}
			s := Start(t, c.opt)
			waitExit(t, s)
			if code := s.ExitCode(); code != 3 {
				t.Errorf("expected exit status 3, got %d", code)
			}
			var errs []string
			for _, l := range strings.Split(s.Output(), "\n") {
				if strings.Contains(l, "ERROR") {
					errs = append(errs, l)
				}
			}
			if len(errs) != 1 || !strings.Contains(errs[0], c.want) {
				t.Errorf("expected one ERROR line containing %q, got %q", c.want, errs)
			}
		})
	}
}

// A port taken by someone else: the server names it and exits 10; Start retries elsewhere.
func TestBindFailure(t *testing.T) {
	hold := func(t *testing.T, port int) {
		l, err := net.Listen("tcp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("hold port %d: %v", port, err)
		}
		t.Cleanup(func() { l.Close() })
	}
	t.Run("reported", func(t *testing.T) {
		t.Parallel()
		off := FreeOffset(t, "carbon")
		hold(t, 9999+off)
		s := Start(t, Options{Offset: off, OffsetSet: true, NoWait: true, NoJMXRemote: true})
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		err := s.WaitReady(ctx)
		want := fmt.Sprintf("carbonlike: bind failed name=jmx-registry port=%d: java.net.BindException: Address already in use", 9999+off)
		if err == nil || s.BindFailure() != want {
			t.Errorf("expected WaitReady to fail with %q, got %v (line %q)", want, err, s.BindFailure())
		}
		waitExit(t, s)
		if code := s.ExitCode(); code != 10 {
			t.Errorf("expected exit status 10, got %d", code)
		}
	})
	t.Run("retried", func(t *testing.T) {
		// Not parallel: it sets the package's launch hook.
		var offsets []int
		testHookLaunch = func(off int) {
			offsets = append(offsets, off)
			if len(offsets) == 1 {
				hold(t, 8243+off) // taken after the harness checked it, as another process could
			}
		}
		t.Cleanup(func() { testHookLaunch = nil })
		s := Start(t, Options{Profile: "mi", NoJMXRemote: true})
		if len(offsets) != 2 || s.Offset != offsets[1] || offsets[0] == offsets[1] {
			t.Errorf("expected one failed attempt and a retry at another offset, attempts %v, server at %d", offsets, s.Offset)
		}
	})
}

// The registry's jmxrmi stub works for the JDK's own JMX client, as JConsole would use it.
func TestRealJMXClient(t *testing.T) {
	t.Run("connects", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{NoJMXRemote: true})
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		for _, url := range []string{
			s.JMXURL, // as logged: service:jmx:rmi://localhost:S/jndi/rmi://localhost:R/jmxrmi
			fmt.Sprintf("service:jmx:rmi:///jndi/rmi://127.0.0.1:%d/jmxrmi", s.Ports["jmx-registry"]),
		} {
			n, err := RunJMXClient(ctx, t, url)
			if err != nil || n < 10 {
				t.Errorf("%s: expected the platform MBeans (>= 10), got %d, %v", url, n, err)
			}
		}
		// The server port is no registry: a lookup there must fail.
		if _, err := RunJMXClient(ctx, t, fmt.Sprintf("service:jmx:rmi:///jndi/rmi://127.0.0.1:%d/jmxrmi", s.Ports["jmx-server"])); err == nil {
			t.Errorf("expected a registry lookup on jmx-server port %d to fail", s.Ports["jmx-server"])
		}
	})
	t.Run("stub advertises an address where nothing listens", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{NoJMXRemote: true, Props: map[string]string{"carbonlike.bind": "127.0.0.1"},
			JVMArgs: []string{"-Djava.rmi.server.hostname=127.0.0.2"}})
		for name, port := range s.Ports {
			if l := listening(t, s.PID)[port]; !l.ip.Equal(net.IPv4(127, 0, 0, 1)) {
				t.Errorf("%s=%d: expected a listener on 127.0.0.1 only (carbonlike.bind), got %v", name, port, l.ip)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		_, err := RunJMXClient(ctx, t, fmt.Sprintf("service:jmx:rmi:///jndi/rmi://127.0.0.1:%d/jmxrmi", s.Ports["jmx-registry"]))
		if err == nil || !strings.Contains(err.Error(), "Connection refused to host: 127.0.0.2") {
			t.Errorf("expected the client to follow the stub to 127.0.0.2 and be refused, got %v", err)
		}
	})
	t.Run("stub advertises a name that never resolves", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{NoJMXRemote: true, JVMArgs: []string{"-Djava.rmi.server.hostname=wso2.invalid"}})
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		_, err := RunJMXClient(ctx, t, fmt.Sprintf("service:jmx:rmi:///jndi/rmi://127.0.0.1:%d/jmxrmi", s.Ports["jmx-registry"]))
		if err == nil || !strings.Contains(err.Error(), "wso2.invalid") {
			t.Errorf("expected the client to fail on host wso2.invalid from the stub, got %v", err)
		}
	})
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Profile: "mi", NoJMXRemote: true})
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	cases := []struct {
		url, server, body string
	}{
		{fmt.Sprintf("http://127.0.0.1:%d/healthz", s.Ports["internal-http"]), "WSO2 Carbon Server", `{"version":"4.2.0","status" : "ready"}`},
		{fmt.Sprintf("http://127.0.0.1:%d/liveness", s.Ports["internal-http"]), "WSO2 Carbon Server", `{"status": "live"}`},
		{fmt.Sprintf("http://127.0.0.1:%d/any/path", s.Ports["passthrough-http"]), "WSO2-PassThrough-HTTP", "carbonlike mi passthrough-http\n"},
		{fmt.Sprintf("https://127.0.0.1:%d/", s.Ports["passthrough-https"]), "WSO2-PassThrough-HTTP", "carbonlike mi passthrough-https\n"},
		{fmt.Sprintf("https://127.0.0.1:%d/management", s.Ports["management-https"]), "WSO2 Carbon Server", "carbonlike mi management-https\n"},
	}
	for _, c := range cases {
		resp, err := client.Get(c.url)
		if err != nil {
			t.Errorf("GET %s: %v", c.url, err)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Server") != c.server || string(body) != c.body {
			t.Errorf("GET %s: expected 200, Server %q, body %q; got %d, %q, %q, %v", c.url, c.server, c.body,
				resp.StatusCode, resp.Header.Get("Server"), body, err)
		}
		if resp.TLS != nil {
			cert := resp.TLS.PeerCertificates[0]
			if cert.Subject.String() != "CN=localhost,O=WSO2,L=Mountain View,ST=CA,C=US" ||
				!slices.Equal(cert.DNSNames, []string{"localhost"}) || len(cert.IPAddresses) != 1 ||
				!cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
				t.Errorf("%s: expected WSO2's default certificate, got subject %s, SANs %v %v", c.url, cert.Subject, cert.DNSNames, cert.IPAddresses)
			}
		}
	}
}

// The first start makes wso2carbon.jks with keytool; a second start in the same home reuses it.
func TestKeystore(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	s := Start(t, Options{Home: home, FreshKeystore: true, NoJMXRemote: true, Props: map[string]string{"carbonlike.skip": "jmx-registry,jmx-server"}})
	if !strings.Contains(s.Output(), "carbonlike: created keystore") {
		t.Errorf("expected the server to create its keystore")
	}
	path := filepath.Join(home, keystoreRel)
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s2 := Start(t, Options{Home: home, FreshKeystore: true, NoJMXRemote: true, Props: map[string]string{"carbonlike.skip": "jmx-registry,jmx-server"}})
	if strings.Contains(s2.Output(), "carbonlike: created keystore") {
		t.Errorf("expected the second start to reuse %s", path)
	}
	second, err := os.ReadFile(path)
	if err != nil || sha256.Sum256(first) != sha256.Sum256(second) {
		t.Errorf("expected %s unchanged by the second start (%v)", path, err)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	pid := s.PID
	s.Stop()
	s.Stop() // idempotent
	if code := s.ExitCode(); code != 0 {
		t.Errorf("expected exit status 0 after SIGTERM, got %d", code)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("expected Exited closed after Stop")
	}
	// Reaped, so /proc has no entry, unless the pid was reused by an unrelated process.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && bytes.Contains(cmdline, []byte(s.Home)) {
		t.Errorf("expected pid %d gone after Stop, it still runs %q", pid, cmdline)
	}
	// Nothing of ours holds the ports any more: each is bindable again.
	for name, port := range s.Ports {
		l, err := net.Listen("tcp4", addr(port))
		if err != nil {
			t.Errorf("%s=%d: expected free after Stop, got %v", name, port, err)
			continue
		}
		l.Close()
	}
}

func TestParseReady(t *testing.T) {
	off, ports, err := parseReady("[2026-11-25 18:00:00,123]  INFO {Bootstrap} - carbonlike: ready offset=7 https=9450 http=9770")
	if err != nil || off != 7 || !maps.Equal(ports, map[string]int{"https": 9450, "http": 9770}) {
		t.Errorf("got %d %v %v", off, ports, err)
	}
	for _, bad := range []string{"carbonlike: ready offset=x", "carbonlike: ready https=1", "carbonlike: ready offset=1 https"} {
		if _, _, err := parseReady(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func TestOutputBounded(t *testing.T) {
	var lines []string
	o := newOutput(func(l string) { lines = append(lines, l) })
	long := strings.Repeat("x", maxLine*2)
	o.Write([]byte("a\r\nb"))
	o.Write([]byte("c\n" + long + "\n"))
	for range 100 {
		o.Write(bytes.Repeat([]byte("y"), 8<<10))
	}
	if len(lines) != 3 || lines[0] != "a" || lines[1] != "bc" || len(lines[2]) != maxLine {
		t.Errorf("expected lines a, bc and one cut at %d bytes, got %d lines %q...", maxLine, len(lines), lines[:min(2, len(lines))])
	}
	if got := len(o.String()); got > maxOutput+100 || !strings.HasPrefix(o.String(), "[... earlier output dropped ...]") {
		t.Errorf("expected output bounded to %d bytes with a drop marker, got %d", maxOutput, got)
	}
}

// TestReadinessAndStartLine: MI's readiness probe answers 500 with the
// faulty CApps, as MI's ReadinessResource does, and both profiles log the
// products' own "started in" line once their ports are bound.
func TestReadinessAndStartLine(t *testing.T) {
	s := Start(t, Options{Profile: "mi", Props: map[string]string{"carbonlike.faultyCapps": "orders"}})
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", s.Ports["internal-http"]))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if want := `{"version":"4.2.0","status": "not ready, faulty CAPPs detected", "Faulty CAPPs" : ["orders"]}`; resp.StatusCode != 500 || string(body) != want {
		t.Errorf("got %d %q, want 500 %q", resp.StatusCode, body, want)
	}
	for _, tc := range []struct {
		srv  *Server
		line string
	}{{s, "WSO2 Micro Integrator started in "}, {Start(t, Options{}), "WSO2 Carbon started in "}} {
		log, err := os.ReadFile(tc.srv.LogPath)
		if err != nil || !strings.Contains(string(log), tc.line) {
			t.Errorf("%s log lacks %q (%v)", tc.srv.Profile, tc.line, err)
		}
	}
}
