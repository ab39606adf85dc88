package org.wso2.micro.integrator.bootstrap;

/** Named like Micro Integrator's bootstrap so process scanners see the real main class. */
public final class Bootstrap {
    private Bootstrap() {
    }

    public static void main(String[] args) {
        carbonlike.Server.run("mi", args);
    }
}
