#!/usr/bin/env bash
# A launcher shaped like Carbon's bin/wso2server.sh: it runs a JVM in a loop while the JVM exits
# with status 121 (START_EXIT_STATUS: Carbon's restart), and exits with the JVM's last status.
# Like the real script, it stays the JVM's parent and forwards no signal. The JVM's command line
# is read from a file (NUL-separated arguments), so that the launcher's own command line, like the
# real script's, holds no Java main class.
# Usage: wso2server.sh CMDFILE
set -u
mapfile -d '' -t cmd <"${1:?usage: wso2server.sh CMDFILE}"
START_EXIT_STATUS=121
status=$START_EXIT_STATUS
while [ "$status" = "$START_EXIT_STATUS" ]
do
    "${cmd[@]}"
    status=$?
done
exit $status
