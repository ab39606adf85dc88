package carbonlike;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Carbon's log4j pattern "[%d] %5p {%c} - %m%n", to stdout and appended to
 * repository/logs/wso2carbon.log, without pulling in a logging library.
 */
final class Log {
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
    private static final PrintStream OUT = System.out;
    private static FileOutputStream file;

    private Log() {
    }

    /** Opens the log file; before this (or if it fails) lines go to stdout only. */
    static synchronized void openFile(Path path) throws IOException {
        Files.createDirectories(path.getParent());
        file = new FileOutputStream(path.toFile(), true);
    }

    static void info(String category, String msg) {
        line("INFO", category, msg);
    }

    static void warn(String category, String msg) {
        line("WARN", category, msg);
    }

    static void error(String category, String msg) {
        line("ERROR", category, msg);
    }

    private static synchronized void line(String level, String category, String msg) {
        String s = "[" + TS.format(LocalDateTime.now()) + "] " + pad(level) + " {" + category + "} - " + msg;
        // File first: whoever sees a line on stdout (the harness waits for the ready line there)
        // must find it in the log file too.
        if (file != null) {
            try {
                file.write((s + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // A full disk must not stop the server; stdout still has the line.
                file = null;
                OUT.println("carbonlike: log file write failed: " + e);
            }
        }
        OUT.println(s);
        OUT.flush();
    }

    private static String pad(String level) {
        return level.length() >= 5 ? level : " ".repeat(5 - level.length()) + level;
    }
}
