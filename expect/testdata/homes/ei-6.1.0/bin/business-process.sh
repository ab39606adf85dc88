#!/bin/sh
# ----------------------------------------------------------------------------
#  Copyright 2018 WSO2, Inc. http://www.wso2.org
#
#  Licensed under the Apache License, Version 2.0 (the "License");
#  you may not use this file except in compliance with the License.
#  You may obtain a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
#  Unless required by applicable law or agreed to in writing, software
#  distributed under the License is distributed on an "AS IS" BASIS,
#  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
#  See the License for the specific language governing permissions and
#  limitations under the License.

# ----------------------------------------------------------------------------
# Start script of the Business Process runtime of WSO2 Enterprise Integrator: it runs the
# runtime's own wso2server.sh.
# ----------------------------------------------------------------------------

PRG="$0"
PRGDIR=`dirname "$PRG"`
CARBON_HOME=`cd "$PRGDIR/.." ; pwd`

sh "$CARBON_HOME/wso2/business-process/bin/wso2server.sh" "$@"
