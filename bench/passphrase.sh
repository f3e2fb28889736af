#!/usr/bin/env bash
# Passphrases: the cost of one key derivation (Argon2id, 12 passes over 64 MiB), cold and warm,
# next to the first version's scrypt N=2^15. Usage: bench/passphrase.sh [ROUNDS]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
machine
java -XX:+UseSerialGC -cp "$CORE_CP" org.knock.core.PassphraseBench "$@"
