package carbonlike

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// RunJMXClient connects the JDK's own JMX client (scripts/carbonlike/src/carbonlike/JmxClient.java,
// JMXConnectorFactory.connect as JConsole does) to url and returns the MBean count it read. On a
// failure the error holds the client's one-line exception chain, e.g. "java.rmi.ConnectException:
// Connection refused to host: 127.0.0.2". The JVM is killed when ctx ends.
func RunJMXClient(ctx context.Context, t testing.TB, url string) (int, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "java", "-Djava.net.preferIPv4Stack=true", "-XX:TieredStopAtLevel=1",
		"-XX:+UseSerialGC", "-cp", Classes(t), "carbonlike.JmxClient", url)
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if len(text) > 4096 {
		text = text[:4096] + "..."
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("carbonlike.JmxClient %s: %w (output: %s)", url, ctx.Err(), text)
		}
		return 0, fmt.Errorf("carbonlike.JmxClient %s: %v: %s", url, err, text)
	}
	n, ok := strings.CutPrefix(text, "mbeans=")
	count, convErr := strconv.Atoi(n)
	if !ok || convErr != nil {
		return 0, fmt.Errorf("carbonlike.JmxClient %s: expected \"mbeans=N\", got %q", url, text)
	}
	return count, nil
}
