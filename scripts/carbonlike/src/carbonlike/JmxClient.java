package carbonlike;

import java.util.HashMap;
import java.util.Map;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A real JDK JMX client for tests: connects to URL (as JConsole would) and prints
 * "mbeans=N"; on failure prints the exception chain on one line and exits 1.
 * Usage: carbonlike.JmxClient URL [USER PASSWORD]
 */
public final class JmxClient {
    private JmxClient() {
    }

    public static void main(String[] args) {
        if (args.length != 1 && args.length != 3) {
            System.err.println("usage: carbonlike.JmxClient URL [USER PASSWORD]");
            System.exit(2);
        }
        Map<String, Object> env = new HashMap<>();
        if (args.length == 3) {
            env.put(JMXConnector.CREDENTIALS, new String[] {args[1], args[2]});
        }
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(args[0]), env)) {
            System.out.println("mbeans=" + c.getMBeanServerConnection().getMBeanCount());
        } catch (Exception e) {
            StringBuilder sb = new StringBuilder("jmxclient: ");
            for (Throwable t = e; t != null; t = t.getCause()) {
                sb.append(t == e ? "" : " <- ").append(t.getClass().getName()).append(": ").append(t.getMessage());
            }
            System.out.println(sb.toString().replace('\n', ' '));
            System.exit(1);
        }
    }
}
