#!/bin/sh
# Writes the *.cmdline samples: the java invocations of wso2server.sh
# (carbon-kernel 4.4.x) and micro-integrator.sh (micro-integrator 4.x), copied
# from those scripts with $JAVACMD replaced by a printf that writes each word
# NUL-terminated, as /proc/PID/cmdline holds it. The shell splits unquoted
# $JAVA_OPTS and $* exactly as the real scripts do.
set -eu
cd "$(dirname "$0")"
JAVA=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
nul() { printf '%s\0' "$@"; }

carbon() { # $1 = CARBON_HOME, JAVA_OPTS from the environment, rest = script arguments
    CARBON_HOME=$1; shift
    CARBON_XBOOTCLASSPATH=":$CARBON_HOME/lib/xboot/xercesImpl-2.12.0.jar"
    JVM_MEM_OPTS="-Xms256m -Xmx1024m"
    CARBON_CLASSPATH=":$CARBON_HOME/bin/org.wso2.carbon.bootstrap-4.4.40.jar:$CARBON_HOME/bin/tomcat-juli-7.0.93.jar:$CARBON_HOME/lib/commons-lang-2.6.0.wso2v1.jar"
    JAVA_VER_BASED_OPTS=""
    nul $JAVA \
    -Xbootclasspath/a:"$CARBON_XBOOTCLASSPATH" \
    $JVM_MEM_OPTS \
    -XX:+HeapDumpOnOutOfMemoryError \
    -XX:HeapDumpPath="$CARBON_HOME/repository/logs/heap-dump.hprof" \
    $JAVA_OPTS \
    -Dcom.sun.management.jmxremote \
    -classpath "$CARBON_CLASSPATH" \
    $JAVA_VER_BASED_OPTS \
    -Djava.io.tmpdir="$CARBON_HOME/tmp" \
    -Dcatalina.base="$CARBON_HOME/lib/tomcat" \
    -Dwso2.server.standalone=true \
    -Dcarbon.registry.root=/ \
    -Djava.command="$JAVA" \
    -Dcarbon.home="$CARBON_HOME" \
    -Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager \
    -Dcarbon.config.dir.path="$CARBON_HOME/repository/conf" \
    -Djava.util.logging.config.file="$CARBON_HOME/repository/conf/etc/logging-bridge.properties" \
    -Dcomponents.repo="$CARBON_HOME/repository/components/plugins" \
    -Dconf.location="$CARBON_HOME/repository/conf"\
    -Dcom.atomikos.icatch.file="$CARBON_HOME/lib/transactions.properties" \
    -Dcom.atomikos.icatch.hide_init_file_path=true \
    -Dorg.apache.jasper.compiler.Parser.STRICT_QUOTE_ESCAPING=false \
    -Dorg.apache.jasper.runtime.BodyContentImpl.LIMIT_BUFFER=true \
    -Dcom.sun.jndi.ldap.connect.pool.authentication=simple  \
    -Dcom.sun.jndi.ldap.connect.pool.timeout=3000  \
    -Dorg.terracotta.quartz.skipUpdateCheck=true \
    -Djava.security.egd=file:/dev/./urandom \
    -Dfile.encoding=UTF8 \
    -Djava.net.preferIPv4Stack=true \
    -Dcom.ibm.cacheLocalHost=true \
    -DworkerNode=false \
    -DenableCorrelationLogs=false \
    -Dhttpclient.hostnameVerifier="DefaultAndLocalhost" \
    -Dcarbon.new.config.dir.path="$CARBON_HOME/repository/resources/conf" \
    org.wso2.carbon.bootstrap.Bootstrap $*
}

mi() { # $1 = CARBON_HOME, JAVA_OPTS from the environment, rest = script arguments
    CARBON_HOME=$1; shift
    CARBON_XBOOTCLASSPATH=""
    JVM_MEM_OPTS="-Xms256m -Xmx1024m"
    CARBON_CLASSPATH=":$CARBON_HOME/bin/org.wso2.micro.integrator.bootstrap-4.2.0.jar:$CARBON_HOME/bin/tomcat-juli-9.0.73.jar:$CARBON_HOME/wso2/lib/commons-lang-2.6.0.wso2v1.jar"
    JAVA_VER_BASED_OPTS="--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens java.rmi/sun.rmi.transport=ALL-UNNAMED"
    NODE_PARAMS=" -Dprofile=micro-integrator-default"
    CAR_NAME=""
    nul $JAVA \
    -Xbootclasspath/a:"$CARBON_XBOOTCLASSPATH" \
    $JVM_MEM_OPTS \
    -XX:+HeapDumpOnOutOfMemoryError \
    -XX:HeapDumpPath="$CARBON_HOME/repository/logs/heap-dump.hprof" \
    $JAVA_OPTS \
    -Dcom.sun.management.jmxremote \
    -classpath "$CARBON_CLASSPATH" \
    -Djava.io.tmpdir="$CARBON_HOME/tmp" \
    -Dcatalina.base="$CARBON_HOME/wso2/lib/tomcat" \
    -Dwso2.server.standalone=true \
    -Dcarbon.registry.root=/ \
    -Djava.command="$JAVA" \
    -Dqpid.conf="/conf/advanced/" \
    $JAVA_VER_BASED_OPTS \
    -Dcarbon.home="$CARBON_HOME" \
    -Dlogfiles.home="$CARBON_HOME/repository/logs" \
    -Dlogger.server.name="micro-integrator" \
    -Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager \
    -Dcarbon.config.dir.path="$CARBON_HOME/conf" \
    -Dcarbon.repository.dir.path="$CARBON_HOME/repository" \
    -Dcarbon.components.dir.path="$CARBON_HOME/wso2/components" \
    -Dcarbon.dropins.dir.path="$CARBON_HOME/dropins" \
    -Dcarbon.external.lib.dir.path="$CARBON_HOME/lib" \
    -Dcarbon.patches.dir.path="$CARBON_HOME/patches" \
    -Dcarbon.internal.lib.dir.path="$CARBON_HOME/wso2/lib" \
    -Dei.extendedURIBasedDispatcher=org.wso2.micro.integrator.core.handlers.IntegratorStatefulHandler \
    -Djava.util.logging.config.file="$CARBON_HOME/conf/etc/logging-bridge.properties" \
    -Dcomponents.repo="$CARBON_HOME/wso2/components/plugins" \
    -Dconf.location="$CARBON_HOME/conf" \
    -Dcom.atomikos.icatch.file="$CARBON_HOME/wso2/lib/transactions.properties" \
    -Dcom.atomikos.icatch.hide_init_file_path=true \
    -Dorg.apache.jasper.compiler.Parser.STRICT_QUOTE_ESCAPING=false \
    -Dorg.apache.jasper.runtime.BodyContentImpl.LIMIT_BUFFER=true \
    -Dcom.sun.jndi.ldap.connect.pool.authentication=simple  \
    -Dcom.sun.jndi.ldap.connect.pool.timeout=3000  \
    -Dorg.terracotta.quartz.skipUpdateCheck=true \
    -Djava.security.egd=file:/dev/./urandom \
    -Dfile.encoding=UTF8 \
    -Djava.net.preferIPv4Stack=true \
    -DNonRegistryMode=true \
    -DNonUserCoreMode=true \
    -Dcom.ibm.cacheLocalHost=true \
    -Dcarbon.use.registry.repo=false \
    -DworkerNode=false \
    -Dorg.apache.cxf.io.CachedOutputStream.Threshold=104857600 \
    -Djavax.xml.xpath.XPathFactory:http://java.sun.com/jaxp/xpath/dom=net.sf.saxon.xpath.XPathFactoryImpl \
    -DavoidConfigHashRead=true \
    -Dproperties.file.path=default \
    -DenableReadinessProbe=true \
    -DenableLivenessProbe=true \
    -DenableManagementApi=true \
    -DskipStartupExtensions=false \
    -Dautomation.mode.seq.car.name="$CAR_NAME" \
    -Dlog4j2.contextSelector=org.apache.logging.log4j.core.async.AsyncLoggerContextSelector \
    -Dorg.ops4j.pax.logging.logReaderEnabled=false \
    -Dorg.ops4j.pax.logging.eventAdminEnabled=false \
    $NODE_PARAMS \
    -Dorg.apache.activemq.SERIALIZABLE_PACKAGES="*" \
    org.wso2.micro.integrator.bootstrap.Bootstrap $*
}

# ./wso2server.sh -DportOffset=3 with JAVA_OPTS="-DportOffset=1": the program argument wins.
JAVA_OPTS="-DportOffset=1" carbon /opt/wso2am-2.6.0 -DportOffset=3 >wso2server-offset-both.cmdline
# ./wso2server.sh with the offset only in JAVA_OPTS, and the JDK agent pinned.
JAVA_OPTS="-DportOffset=2 -Dcom.sun.management.jmxremote.local.port=23456 -Djava.rmi.server.hostname=10.0.0.5" \
    carbon /opt/wso2ei-6.5.0/wso2/broker >wso2server-offset-jvm.cmdline
# ./wso2server.sh with no offset at all: carbon.xml decides.
JAVA_OPTS="" carbon /opt/wso2is-5.8.0 >wso2server-no-offset.cmdline
# ./micro-integrator.sh -DportOffset=5 -DportOffset=7: the last one wins.
JAVA_OPTS="" mi /opt/wso2mi-4.2.0 -DportOffset=5 -DportOffset=7 >micro-integrator-offset-twice.cmdline
# ./micro-integrator.sh with a JDK remote agent on 9010 and the offset in JAVA_OPTS.
JAVA_OPTS="-Dcom.sun.management.jmxremote.port=9010 -Dcom.sun.management.jmxremote.rmi.port=9011 -DportOffset=10" \
    mi /opt/wso2mi-4.2.0 >micro-integrator-jmx-remote.cmdline

# Pid files: Carbon 4 writes `echo $PPID` from a 100-byte buffer; MI the digits alone.
printf '4242\n' >carbon4.pid
head -c 95 /dev/zero >>carbon4.pid
printf '4242' >mi.pid
