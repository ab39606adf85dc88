package carbonlike;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.rmi.NoSuchObjectException;
import java.rmi.Remote;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.management.remote.rmi.RMIJRMPServerImpl;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.w3c.dom.Document;

/**
 * Opens, with the JDK's own classes, the sockets a WSO2 Carbon server opens, so that carbonprobe
 * can be tested against real listeners, a real RMI registry and a real JMX connector server.
 */
public final class Server {
    static final int EXIT_CRASH = 1;
    static final int EXIT_CONFIG = 3;
    static final int EXIT_BIND = 10;
    /** What Carbon's restart exits with; wso2server.sh's loop then starts a new JVM (START_EXIT_STATUS). */
    static final int EXIT_RESTART = 121;

    private static final String CARBON_SERVER = "WSO2 Carbon Server";
    private static final String PASSTHROUGH_SERVER = "WSO2-PassThrough-HTTP";
    private static final String KEYSTORE_PASSWORD = "wso2carbon";

    /** Set before every deliberate exit, so the shutdown hook can tell a signal from System.exit. */
    private static volatile boolean deliberateExit;
    /** A crash leaves its pid file behind, as a killed Carbon server does. */
    private static volatile boolean keepPidFile;
    private static volatile Path pidFile;
    private static final List<AutoCloseable> OPEN = Collections.synchronizedList(new ArrayList<>());

    private Server() {
    }

    /** One fixed port the profile opens. */
    private static final class Port {
        final String name;
        final int base;
        final Kind kind;
        final String serverHeader;
        int port;
        long delay;

        Port(String name, int base, Kind kind, String serverHeader) {
            this.name = name;
            this.base = base;
            this.kind = kind;
            this.serverHeader = serverHeader;
        }
    }

    private enum Kind { HTTP, HTTPS, HEALTH_HTTP, RMI_REGISTRY, JMX_SERVER }

    /** Entry point shared by both Bootstrap classes. */
    public static void run(String profile, String[] args) {
        processCmdLineArgs(args);
        Runtime.getRuntime().addShutdownHook(new Thread(Server::shutdown, "carbonlike-shutdown"));
        try {
            start(profile);
        } catch (Config.Invalid e) {
            Log.error("Bootstrap", "carbonlike: configuration error: " + e.getMessage());
            exit(EXIT_CONFIG, false);
        }
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Like Carbon's Main.processCmdLineArgs: every "-Dk=v" program argument becomes a system property. */
    private static void processCmdLineArgs(String[] args) {
        for (String arg : args) {
            if (!arg.startsWith("-D")) {
                continue;
            }
            String kv = arg.substring(2);
            int eq = kv.indexOf('=');
            if (eq < 0) {
                System.setProperty(kv, "true");
            } else {
                System.setProperty(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
    }

    private static void start(String profile) throws Config.Invalid {
        String homeProp = System.getProperty("carbon.home");
        if (homeProp == null || homeProp.isEmpty()) {
            throw new Config.Invalid("-Dcarbon.home=DIR is required");
        }
        Path home = Paths.get(homeProp).toAbsolutePath().normalize();
        try {
            Log.openFile(home.resolve("repository/logs/wso2carbon.log"));
        } catch (IOException e) {
            throw new Config.Invalid("cannot open the log file under " + home + ": " + e);
        }
        Log.info("Bootstrap", "Starting carbonlike, profile " + profile + ", carbon.home " + home);
        long startedAt = System.nanoTime();
        // The products' own start line, which carbonprobe looks for in the log.
        Log.info(profile.equals("mi") ? "MicroIntegratorBaseUtils" : "CarbonCoreActivator",
                profile.equals("mi") ? "Starting WSO2 Micro Integrator ..." : "Starting WSO2 Carbon...");
        writePid(profile, home);

        // A restart before the ports open: the first JVM of a home exits with 121 and leaves a
        // marker, so the JVM the start script's loop starts next runs on.
        long restartAfter = Config.millis("carbonlike.restartAfter", -1);
        Path marker = home.resolve("carbonlike.restarted");
        if (restartAfter >= 0 && !Files.exists(marker)) {
            try {
                Files.writeString(marker, Long.toString(ProcessHandle.current().pid()));
            } catch (IOException e) {
                throw new Config.Invalid("cannot write " + marker + ": " + e);
            }
            sleep(restartAfter);
            Log.info("Bootstrap", "carbonlike: restarting (exit status " + EXIT_RESTART + ")");
            exit(EXIT_RESTART, true);
        }

        long exitAfter = Config.millis("carbonlike.exitAfter", -1);
        if (exitAfter >= 0) {
            Thread t = new Thread(() -> {
                sleep(exitAfter);
                Log.error("Bootstrap", "carbonlike: simulated crash");
                exit(EXIT_CRASH, true);
            }, "carbonlike-exitAfter");
            t.setDaemon(true);
            t.start();
        }

        Document carbonXml = profile.equals("carbon") ? Config.xml(home.resolve("repository/conf/carbon.xml")) : null;
        int offset = offset(profile, home, carbonXml);
        List<Port> ports = ports(profile, home, carbonXml);
        Set<String> names = new LinkedHashSet<>();
        for (Port p : ports) {
            names.add(p.name);
        }
        Set<String> skip = skipped(names);
        List<Port> open = new ArrayList<>();
        for (Port p : ports) {
            p.port = p.base + offset;
            if (p.port < 1 || p.port > 65535) {
                throw new Config.Invalid("port " + p.name + " = " + p.base + " + offset " + offset + " is out of range");
            }
            p.delay = Config.millis("carbonlike.delay." + p.name, 0);
            if (!skip.contains(p.name)) {
                open.add(p);
            }
        }
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("carbonlike.delay.") && !names.contains(key.substring("carbonlike.delay.".length()))) {
                throw new Config.Invalid("-D" + key + " names no port of profile " + profile + " " + names);
            }
        }
        InetAddress bind = bindAddress();
        String jmxHost = jmxHost(profile, home);

        sleep(Config.millis("carbonlike.delay", 0));
        if (!"false".equals(System.getProperty("carbonlike.syslog"))) {
            syslog();
        }

        // Ports without a delay open first and in the listed order; delayed ones follow by delay.
        open.sort(Comparator.comparingLong(p -> p.delay));
        long bindStart = System.nanoTime();
        Binder binder = new Binder(profile, home, bind, jmxHost);
        StringBuilder ready = new StringBuilder("carbonlike: ready offset=").append(offset);
        for (Port p : open) {
            long wait = p.delay - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - bindStart);
            if (wait > 0) {
                sleep(wait);
            }
            binder.open(p);
        }
        ports.stream().filter(open::contains).forEach(p -> ready.append(' ').append(p.name).append('=').append(p.port));
        // As the products log once their transports are up (carbon-kernel's
        // StartupFinalizerServiceComponent.printInfo, MI's StartupFinalizer).
        double took = (System.nanoTime() - startedAt) / 1e9;
        if (profile.equals("mi")) {
            Log.info("StartupFinalizer", String.format(java.util.Locale.ROOT, "WSO2 Micro Integrator started in %.2f seconds", took));
        } else {
            Log.info("StartupFinalizerServiceComponent", "WSO2 Carbon started in " + (long) took + " sec");
        }
        Log.info("Bootstrap", ready.toString());
    }

    private static int offset(String profile, Path home, Document carbonXml) throws Config.Invalid {
        String prop = System.getProperty("portOffset");
        if (prop != null) {
            return Config.nonNegative(prop, "-DportOffset");
        }
        if (profile.equals("carbon")) {
            String v = Config.text(carbonXml, "Ports", "Offset");
            return v == null ? 0 : Config.nonNegative(v, "<Ports><Offset> in carbon.xml");
        }
        String v = Config.tomlServerOffset(home.resolve("conf/deployment.toml"));
        return v == null ? 10 : Config.nonNegative(v, "[server] offset in deployment.toml");
    }

    private static List<Port> ports(String profile, Path home, Document carbonXml) throws Config.Invalid {
        List<Port> ports = new ArrayList<>();
        boolean jmx;
        if (profile.equals("carbon")) {
            ports.add(new Port("https", 9443, Kind.HTTPS, CARBON_SERVER));
            ports.add(new Port("http", 9763, Kind.HTTP, CARBON_SERVER));
            Document jmxXml = Config.xml(home.resolve("repository/conf/etc/jmx.xml"));
            jmx = !"false".equalsIgnoreCase(Config.text(jmxXml, "StartRMIServer"));
        } else {
            ports.add(new Port("passthrough-http", 8280, Kind.HTTP, PASSTHROUGH_SERVER));
            ports.add(new Port("passthrough-https", 8243, Kind.HTTPS, PASSTHROUGH_SERVER));
            ports.add(new Port("internal-http", 9191, Kind.HEALTH_HTTP, CARBON_SERVER));
            ports.add(new Port("management-https", 9154, Kind.HTTPS, CARBON_SERVER));
            jmx = "true".equals(System.getProperty("carbonlike.jmx"));
        }
        if (jmx) {
            String reg = Config.text(carbonXml, "Ports", "JMX", "RMIRegistryPort");
            String srv = Config.text(carbonXml, "Ports", "JMX", "RMIServerPort");
            ports.add(new Port("jmx-registry", reg == null ? 9999 : Config.nonNegative(reg, "<RMIRegistryPort> in carbon.xml"),
                    Kind.RMI_REGISTRY, null));
            ports.add(new Port("jmx-server", srv == null ? 11111 : Config.nonNegative(srv, "<RMIServerPort> in carbon.xml"),
                    Kind.JMX_SERVER, null));
        }
        return ports;
    }

    private static String jmxHost(String profile, Path home) throws Config.Invalid {
        if (!profile.equals("carbon")) {
            return "localhost";
        }
        String h = Config.text(Config.xml(home.resolve("repository/conf/etc/jmx.xml")), "HostName");
        return h == null || h.isEmpty() ? "localhost" : h;
    }

    private static Set<String> skipped(Set<String> names) throws Config.Invalid {
        Set<String> skip = new LinkedHashSet<>();
        String v = System.getProperty("carbonlike.skip", "");
        for (String s : v.split(",")) {
            s = s.trim();
            if (s.isEmpty()) {
                continue;
            }
            if (!names.contains(s)) {
                throw new Config.Invalid("-Dcarbonlike.skip names " + s + ", not a port of this profile " + names);
            }
            skip.add(s);
        }
        return skip;
    }

    private static InetAddress bindAddress() throws Config.Invalid {
        String v = System.getProperty("carbonlike.bind");
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw new Config.Invalid("-Dcarbonlike.bind=" + v + ": unknown host");
        }
    }

    /** Like log4j 1.x SyslogWriter: an unbound, unconnected DatagramSocket held for the life of the process. */
    private static void syslog() {
        DatagramSocket ds;
        try {
            ds = new DatagramSocket();
        } catch (IOException e) {
            Log.warn("SyslogAppender", "carbonlike: cannot open the syslog socket: " + e);
            return;
        }
        OPEN.add(ds);
        byte[] msg = "<14>carbonlike: started".getBytes(StandardCharsets.US_ASCII);
        try {
            ds.send(new DatagramPacket(msg, msg.length, InetAddress.getLoopbackAddress(), 514));
        } catch (IOException e) {
            // log4j's SyslogWriter ignores send errors too; the socket stays open either way.
            Log.warn("SyslogAppender", "carbonlike: syslog send failed: " + e);
        }
        Log.info("SyslogAppender", "carbonlike: syslog sender udp port=" + ds.getLocalPort());
    }

    /** Opens ports and remembers what the RMI pieces need from each other. */
    private static final class Binder {
        private final String profile;
        private final Path home;
        private final InetAddress bind;
        private final String jmxHost;
        private final RMIServerSocketFactory ssf;
        private ExecutorService executor;
        private SSLContext tls;
        private Registry registry;
        private Remote jmxStub;
        private int registryPort;
        private int jmxPort;

        Binder(String profile, Path home, InetAddress bind, String jmxHost) {
            this.profile = profile;
            this.home = home;
            this.bind = bind;
            this.jmxHost = jmxHost;
            this.ssf = bind == null ? null : new BoundSocketFactory(bind);
        }

        void open(Port p) throws Config.Invalid {
            try {
                switch (p.kind) {
                    case HTTP:
                    case HEALTH_HTTP:
                        openHttp(p, HttpServer.create(address(p.port), 50));
                        break;
                    case HTTPS:
                        SSLContext ctx = tls();
                        HttpsServer s = HttpsServer.create(address(p.port), 50);
                        s.setHttpsConfigurator(new HttpsConfigurator(ctx));
                        openHttp(p, s);
                        break;
                    case RMI_REGISTRY:
                        registry = ssf == null ? LocateRegistry.createRegistry(p.port)
                                : LocateRegistry.createRegistry(p.port, null, ssf);
                        Registry r = registry;
                        OPEN.add(() -> UnicastRemoteObject.unexportObject(r, true));
                        registryPort = p.port;
                        bindStub();
                        break;
                    case JMX_SERVER:
                        openJmx(p);
                        break;
                    default:
                        throw new IllegalStateException(p.kind.toString());
                }
            } catch (IOException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                Log.error("Bootstrap", "carbonlike: bind failed name=" + p.name + " port=" + p.port + ": " + root);
                exit(EXIT_BIND, false);
            }
            Log.info("Bootstrap", "carbonlike: opened " + p.name + " port=" + p.port);
        }

        private InetSocketAddress address(int port) {
            return bind == null ? new InetSocketAddress(port) : new InetSocketAddress(bind, port);
        }

        private void openHttp(Port p, HttpServer server) {
            if (executor == null) {
                // The default executor is the dispatcher thread: one silent client would stall every port.
                executor = Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "carbonlike-http");
                    t.setDaemon(true);
                    return t;
                });
            }
            server.setExecutor(executor);
            server.createContext("/", ex -> respond(ex, p));
            server.start();
            OPEN.add(() -> server.stop(0));
        }

        private void respond(HttpExchange ex, Port p) throws IOException {
            try {
                // Not reading the body: HttpExchange.close drains a bounded amount and then drops the connection.
                String path = ex.getRequestURI().getPath();
                String type = "text/plain; charset=utf-8";
                String body = "carbonlike " + profile + " " + p.name + "\n";
                int status = 200;
                if (p.kind == Kind.HEALTH_HTTP && path.equals("/healthz")) {
                    // As MI's ReadinessResource: 200 when every CApp deployed, else 500 and the faulty ones.
                    type = "application/json";
                    String faulty = System.getProperty("carbonlike.faultyCapps", "");
                    if (faulty.isEmpty()) {
                        body = "{\"version\":\"4.2.0\",\"status\" : \"ready\"}";
                    } else {
                        status = 500;
                        body = "{\"version\":\"4.2.0\",\"status\": \"not ready, faulty CAPPs detected\", \"Faulty CAPPs\" : [\""
                                + String.join("\",\"", faulty.split(",")) + "\"]}";
                    }
                } else if (p.kind == Kind.HEALTH_HTTP && path.equals("/liveness")) {
                    type = "application/json";
                    body = "{\"status\": \"live\"}";
                }
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Server", p.serverHeader);
                ex.getResponseHeaders().set("Content-Type", type);
                if (ex.getRequestMethod().equals("HEAD")) {
                    ex.sendResponseHeaders(status, -1);
                } else {
                    ex.sendResponseHeaders(status, b.length);
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(b);
                    }
                }
            } finally {
                ex.close();
            }
        }

        /**
         * Exports the RMI server object on the fixed port and binds its stub in our registry
         * directly, like JMXServerManager's JNDI bind but without a network round trip, so that
         * carbonlike.bind and java.rmi.server.hostname cannot break the bind itself.
         */
        private void openJmx(Port p) throws IOException {
            Map<String, Object> env = new HashMap<>();
            if (ssf != null) {
                env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, ssf);
            }
            RMIJRMPServerImpl impl = new RMIJRMPServerImpl(p.port, null, ssf, env);
            RMIConnectorServer cs = new RMIConnectorServer(new JMXServiceURL("rmi", null, p.port), env, impl,
                    ManagementFactory.getPlatformMBeanServer());
            cs.start();
            OPEN.add(cs::stop);
            jmxStub = impl.toStub();
            jmxPort = p.port;
            bindStub();
        }

        private void bindStub() {
            if (registry == null || jmxStub == null) {
                return;
            }
            try {
                registry.rebind("jmxrmi", jmxStub);
            } catch (IOException e) {
                Log.error("JMXServerManager", "Could not initialize RMI server: " + e);
                return;
            }
            Log.info("JMXServerManager", "JMX Service URL  : service:jmx:rmi://" + jmxHost + ":" + jmxPort
                    + "/jndi/rmi://" + jmxHost + ":" + registryPort + "/jmxrmi");
        }

        private SSLContext tls() throws Config.Invalid {
            if (tls != null) {
                return tls;
            }
            Path ks = home.resolve("repository/resources/security/wso2carbon.jks");
            if (!Files.isRegularFile(ks)) {
                generateKeystore(ks);
            }
            try (InputStream in = Files.newInputStream(ks)) {
                KeyStore store = KeyStore.getInstance("JKS");
                store.load(in, KEYSTORE_PASSWORD.toCharArray());
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(store, KEYSTORE_PASSWORD.toCharArray());
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(kmf.getKeyManagers(), null, null);
                tls = ctx;
                return ctx;
            } catch (IOException | GeneralSecurityException e) {
                throw new Config.Invalid("cannot load keystore " + ks + ": " + e);
            }
        }
    }

    /** WSO2's default wso2carbon.jks, made with the JDK's keytool as a user would. */
    private static void generateKeystore(Path ks) throws Config.Invalid {
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(ks.getParent());
            Path tmp = Files.createTempFile(ks.getParent(), "wso2carbon", ".tmp");
            Files.delete(tmp); // keytool refuses to write into an existing empty file
            String keytool = Paths.get(System.getProperty("java.home"), "bin", "keytool").toString();
            Process proc = new ProcessBuilder(keytool, "-genkeypair", "-noprompt",
                    "-alias", "wso2carbon", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                    "-dname", "CN=localhost, O=WSO2, L=Mountain View, ST=CA, C=US",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-storetype", "JKS", "-keystore", tmp.toString(),
                    "-storepass", KEYSTORE_PASSWORD, "-keypass", KEYSTORE_PASSWORD)
                    .redirectErrorStream(true).start();
            byte[] out;
            try (InputStream in = proc.getInputStream()) {
                out = in.readNBytes(64 * 1024);
            }
            if (!proc.waitFor(60, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                throw new Config.Invalid("keytool did not finish within 60 s");
            }
            if (proc.exitValue() != 0) {
                Files.deleteIfExists(tmp);
                throw new Config.Invalid("keytool exited with status " + proc.exitValue() + ": "
                        + new String(out, StandardCharsets.UTF_8).trim().replace('\n', ' '));
            }
            Files.move(tmp, ks, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new Config.Invalid("cannot create keystore " + ks + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Config.Invalid("interrupted while creating keystore " + ks);
        }
        Log.info("Bootstrap", "carbonlike: created keystore " + ks + " in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
    }

    /**
     * Carbon's Main.writePID copies `sh -c 'echo $PPID'` output into a 100-byte buffer and writes
     * all of it (digits, newline, NUL padding); MI writes the digits only.
     */
    private static void writePid(String profile, Path home) throws Config.Invalid {
        String pid = Long.toString(ProcessHandle.current().pid());
        byte[] data;
        if (profile.equals("carbon")) {
            data = new byte[100];
            byte[] digits = (pid + "\n").getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, data, 0, digits.length);
        } else {
            data = pid.getBytes(StandardCharsets.US_ASCII);
        }
        Path p = home.resolve("wso2carbon.pid");
        try {
            Files.write(p, data);
        } catch (IOException e) {
            throw new Config.Invalid("cannot write " + p + ": " + e);
        }
        pidFile = p;
    }

    private static void shutdown() {
        List<AutoCloseable> open;
        synchronized (OPEN) {
            open = new ArrayList<>(OPEN);
            OPEN.clear();
        }
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (NoSuchObjectException e) {
                // already unexported
            } catch (Exception e) {
                Log.warn("Bootstrap", "carbonlike: close failed: " + e);
            }
        }
        Path p = pidFile;
        if (p != null && !keepPidFile) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                Log.warn("Bootstrap", "carbonlike: cannot delete " + p + ": " + e);
            }
        }
        if (!deliberateExit) {
            Log.info("Bootstrap", "carbonlike: stopped by signal");
            // The JVM's own status after SIGTERM is 143; Carbon's scripts treat a stop as success.
            Runtime.getRuntime().halt(0);
        }
    }

    private static void exit(int status, boolean keepPid) {
        keepPidFile = keepPid;
        deliberateExit = true;
        System.exit(status);
    }

    private static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Binds RMI listeners to one address instead of the wildcard. */
    private static final class BoundSocketFactory implements RMIServerSocketFactory {
        private final InetAddress addr;

        BoundSocketFactory(InetAddress addr) {
            this.addr = addr;
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return new ServerSocket(port, 50, addr);
        }

        // RMI reuses a listener only for an equal factory; equality must be by value.
        @Override
        public boolean equals(Object o) {
            return o instanceof BoundSocketFactory && ((BoundSocketFactory) o).addr.equals(addr);
        }

        @Override
        public int hashCode() {
            return Objects.hash(addr);
        }
    }
}
