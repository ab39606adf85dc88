package org.wso2.carbon.bootstrap;

/** Named like the Carbon 4 kernel's bootstrap so process scanners see the real main class. */
public final class Bootstrap {
    private Bootstrap() {
    }

    public static void main(String[] args) {
        carbonlike.Server.run("carbon", args);
    }
}
