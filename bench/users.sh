#!/usr/bin/env bash
# Users: the daemon's decode cost per completed 20-port knock with 1, 100 and 10,000 users (the
# knocking user's key tried last), and for a sequence no key accepts. Usage: bench/users.sh [N...]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
machine
java -XX:+UseSerialGC -cp "$CORE_CP" org.knock.core.UsersBench "$@"
machine
