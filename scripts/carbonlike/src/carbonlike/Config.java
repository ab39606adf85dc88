package carbonlike;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/** Readers for the few configuration values a Carbon server takes its ports from. */
final class Config {
    private Config() {
    }

    /** A bad configuration value; the server exits with status 3 after logging its message. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String msg) {
            super(msg);
        }
    }

    /** Parses an XML file namespace-aware, or returns null when it does not exist. */
    static Document xml(Path path) throws Invalid {
        if (!Files.isRegularFile(path)) {
            return null;
        }
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            // Config files are local and trusted, but a DTD fetch would still make start slow or hang.
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(path.toFile());
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new Invalid("cannot read " + path + ": " + e.getMessage());
        }
    }

    /**
     * Text of the element reached from the document element by local names (carbon.xml
     * declares a default namespace, so qualified names would never match), or null.
     */
    static String text(Document doc, String... localNames) {
        if (doc == null) {
            return null;
        }
        Element e = doc.getDocumentElement();
        for (String name : localNames) {
            e = child(e, name);
            if (e == null) {
                return null;
            }
        }
        return e.getTextContent().trim();
    }

    private static Element child(Element parent, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && localName.equals(localNameOf(n))) {
                return (Element) n;
            }
        }
        return null;
    }

    private static String localNameOf(Node n) {
        return n.getLocalName() != null ? n.getLocalName() : n.getNodeName();
    }

    /**
     * The value of {@code offset} in the {@code [server]} table of a deployment.toml, or null.
     * A line parser is enough: MI writes the key as a plain "key = value" line.
     */
    static String tomlServerOffset(Path path) throws Invalid {
        if (!Files.isRegularFile(path)) {
            return null;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Invalid("cannot read " + path + ": " + e.getMessage());
        }
        String table = "";
        for (String raw : lines) {
            String line = stripComment(raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[")) {
                table = line.replace("[", "").replace("]", "").trim();
                continue;
            }
            int eq = line.indexOf('=');
            if (!table.equals("server") || eq < 0) {
                continue;
            }
            if (line.substring(0, eq).trim().equals("offset")) {
                String v = line.substring(eq + 1).trim();
                if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                    v = v.substring(1, v.length() - 1).trim();
                }
                return v;
            }
        }
        return null;
    }

    private static String stripComment(String line) {
        boolean quoted = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == quote) {
                    quoted = false;
                }
            } else if (c == '"' || c == '\'') {
                quoted = true;
                quote = c;
            } else if (c == '#') {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** A non-negative integer, or Invalid naming where the value came from. */
    static int nonNegative(String value, String source) throws Invalid {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the one error message
        }
        throw new Invalid("invalid " + source + ": expected a non-negative integer, got \"" + value + "\"");
    }

    /** A duration in milliseconds from a system property, or def when the property is absent. */
    static long millis(String key, long def) throws Invalid {
        String v = System.getProperty(key);
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new Invalid("invalid -D" + key + ": expected milliseconds >= 0, got \"" + v + "\"");
    }
}
