#!/usr/bin/env bash
# Client start-up, side by side in one hyperfine run: an empty Java class with bin/knock's JVM
# flags (the floor), `bin/knock --print` (builds a real knock, sends nothing), a real knock to
# 127.0.0.1 (20 SYNs on loopback), the same two on a JDK 24+ with its AOT cache when one is
# installed (KNOCK_JDK25, default /usr/lib/jvm/temurin-25-jdk-amd64), and Debian's C `knock`
# when installed. Medians, minimums and CPU are printed from hyperfine's JSON.
# Usage: bench/client.sh [RUNS]   (hyperfine and python3 needed; no root)
# KNOCK_BENCH_BASE=DIR adds DIR/bin/knock (another built checkout, e.g. of main) for before/after.
# On a shared, busy machine KNOCK_BENCH_RT=1 (root) runs hyperfine and so every command under
# the real-time scheduler (chrt -f 10) for the few seconds it takes: the other processes' load
# then barely shows, as on a quiet machine (a start-up that overlaps work on the second core
# gains nothing while other processes hold both cores). Say so next to figures measured that way.
# KNOCK_BENCH_CPUS=LIST (e.g. 1) pins hyperfine and so every command to those CPUs (taskset -c):
# with one CPU, a start-up that has no free core, whatever else the machine runs.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
runs=${1:-40}
work=$(mktemp -d /tmp/knprf-client.XXXXXX)
trap 'rm -rf "$work"' EXIT
export KNOCK_HOME="$work/home"
mkdir -p "$KNOCK_HOME"
printf 'public class Empty { public static void main(String[] a) { System.out.println(a.length); } }\n' \
  > "$work/Empty.java"
javac -d "$work" "$work/Empty.java"
"$here/bin/knock" keygen --user bench >/dev/null
flags="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto"
k="$here/bin/knock"
# the floor twice on the PATH's JDK: with the serial GC (as measured since round 1) and with G1,
# which bin/knock uses before JDK 24 (only with G1 does such a JDK map its archived module graph)
cmds=("java $flags -cp $work Empty" "java ${flags/UseSerialGC/UseG1GC} -cp $work Empty"
      "$k --print 127.0.0.1 'open 22 30m'" "$k 127.0.0.1 'open 22 30m'")
jdk25=${KNOCK_JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
if [ -x "$jdk25" ]; then
  KNOCK_JAVA=$jdk25 "$k" -V >/dev/null # records its AOT cache
  cmds+=("$jdk25 $flags -cp $work Empty" "env KNOCK_JAVA=$jdk25 $k --print 127.0.0.1 'open 22 30m'"
         "env KNOCK_JAVA=$jdk25 $k 127.0.0.1 'open 22 30m'")
fi
if [ -n "${KNOCK_BENCH_BASE:-}" ]; then # another built checkout, e.g. main, for before/after
  b="$KNOCK_BENCH_BASE/bin/knock"
  "$b" -V >/dev/null # records its archive
  cmds+=("$b --print 127.0.0.1 'open 22 30m'" "$b 127.0.0.1 'open 22 30m'")
fi
command -v knock >/dev/null && [ "$(readlink -f "$(command -v knock)")" != "$k" ] \
  && cmds+=("knock 127.0.0.1 7000 8000 9000")
"$k" -V >/dev/null # records the CDS archive
machine
rt=()
if [ -n "${KNOCK_BENCH_RT:-}" ]; then rt=(chrt -f 10); echo "real-time priority: chrt -f 10"; fi
if [ -n "${KNOCK_BENCH_CPUS:-}" ]; then
  rt+=(taskset -c "$KNOCK_BENCH_CPUS"); echo "pinned to CPU(s) $KNOCK_BENCH_CPUS: taskset -c"
fi
"${rt[@]}" hyperfine -N -w 5 -r "$runs" --export-json "$work/r.json" "${cmds[@]}" >/dev/null
python3 - "$work/r.json" <<'PY'
import json, sys
print("%8s %8s %8s %8s  %s" % ("median", "min", "user", "sys", "command (ms)"))
for r in json.load(open(sys.argv[1]))["results"]:
    print("%8.1f %8.1f %8.1f %8.1f  %s" % (r["median"] * 1e3, r["min"] * 1e3, r["user"] * 1e3,
                                          r["system"] * 1e3, r["command"]))
PY
machine
