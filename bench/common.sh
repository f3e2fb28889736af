# Shared by the bench/ scripts: paths, the build check, and a load/machine line for each figure.
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
KNOCKD_CP="$here/knock-core/target/classes:$here/knockd/target/classes:$here/knockd/target/test-classes:$here/knockd/target/lib/*"
CORE_CP="$here/knock-core/target/classes:$here/knock-core/target/test-classes:$here/knockd/target/lib/*"
need_build() {
  for f in knockd/target/knockd.jar knock/target/knock-all.jar knockd/target/test-classes \
      knock-core/target/test-classes; do
    [ -e "$here/$f" ] || { echo "build first: mvn -B -q package -DskipTests && mvn -B -q test-compile" >&2; exit 2; }
  done
}
# CPU ticks (utime + stime, all threads) of process $1 so far; getconf CLK_TCK ticks a second
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# e.g. "machine: AMD EPYC, 2 cores, 23 GiB; load 1.21 1.05 0.98; Linux 6.18; openjdk 17.0.15"
machine() {
  local cpu mem now steal
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  mem=$(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo)
  # CPU time the hypervisor gave to others (/proc/stat "steal"): since the last machine line
  now=$(awk '/^cpu / {t=0; for (i=2; i<=NF; i++) t+=$i; print $9, t}' /proc/stat)
  steal=$(awk -v a="${machine_last:-0 0}" -v b="$now" 'BEGIN {split(a, x, " "); split(b, y, " ");
    d = y[2] - x[2]; printf "%.0f %%", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}')
  machine_last=$now
  echo "machine: $cpu, $(nproc) cores, $mem; load $(cut -d' ' -f1-3 /proc/loadavg);" \
    "steal ${steal} (since boot or the line before);" \
    "Linux $(uname -r | cut -d- -f1); $(java -version 2>&1 | head -1 | cut -d'"' -f2 | sed 's/^/openjdk /')"
}
# Two namespaces $S (server, $SIP) and $C (client, $CIP) joined by a veth pair, /24.
ns_pair() {
  sysctl -qw net.netfilter.nf_log_all_netns=1
  ip netns add "$S"; ip netns add "$C"
  ip -n "$S" link add vs type veth peer name vc netns "$C"
  ip -n "$S" addr add "$SIP/24" dev vs; ip -n "$C" addr add "$CIP/24" dev vc
  for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
  ip -n "$S" link set vs up; ip -n "$C" link set vc up
}
# Stops the processes in pids[] (TERM, then KILL), deletes $S and $C, removes $work.
ns_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ ${#pids[@]} -eq 0 ] || sleep 0.3
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$S" 2>/dev/null || true; ip netns del "$C" 2>/dev/null || true
  if [ -n "${KNPRF_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
# knockd's config for the bench user ($work/bench.key may open 22/tcp), 22/tcp protected, plus
# the [options] lines in $KNPRF_OPTIONS (e.g. "KmsgPoll = 1ms"):
# knockd_conf LOG FIREWALL PREFIX AUDITLOG STATEDIR
knockd_conf() {
  cat <<CONF
[options]
AllowRoot = yes
FirewallLog = $1
Firewall    = $2
Protect     = 22/tcp
LogPrefix   = "$3"
AuditLog    = $4
StateDir    = $5
${KNPRF_OPTIONS:-}
[user bench]
Key   = $work/bench.key
Allow = open 22/tcp
CONF
}
# During a flood started at T0 (date +%s%N), until SECS - 1 s: up to N real knocks from $C, one
# after the other, each after the grant was removed and port 22 checked closed; one line each
# (bench/junk.py knock) to stdout and DIR/knocks. Usage: knocks_during DIR N SECS T0 KEY
knocks_during() {
  local dir=$1 n=$2 secs=$3 t0=$4 key=$5 i
  for i in $(seq "$n"); do
    (( ($(date +%s%N) - t0) / 1000000 < (secs - 1) * 1000 )) || break
    ip netns exec "$S" nft flush set inet knockd granted
    if ! ip netns exec "$C" python3 "$here/bench/junk.py" closed "$SIP" 22; then
      echo "knock $i: port 22 still open after the grant was removed" >&2; exit 1
    fi
    printf 'knock %d at +%.1f s: ' "$i" "$(awk -v d=$(( $(date +%s%N) - t0 )) 'BEGIN {print d / 1e9}')"
    ip netns exec "$C" python3 "$here/bench/junk.py" knock "$SIP" 22 "$dir/audit.log" -- \
      env KNOCK_HOME="$work/client" "$here/bin/knock" -k "$key" "$SIP" "open 22 30m" --wait 5 \
      | tee -a "$dir/knocks"
    sleep 0.3
  done
}

# Starts bin/knockd in $S with config CONF, its stderr to ERR; sets kd to its PID (added to pids),
# waits (at most 10 s) for its nftables table, then 2 s for its start-up warm-up.
# Usage: start_knockd CONF ERR (declare `local kd` first inside a function)
start_knockd() {
  ip netns exec "$S" "$here/bin/knockd" --config "$1" 2>"$2" & kd=$!; pids+=($kd)
  for _ in $(seq 100); do
    ip netns exec "$S" nft list table inet knockd >/dev/null 2>&1 && break; sleep 0.1
  done
  sleep 2
}
