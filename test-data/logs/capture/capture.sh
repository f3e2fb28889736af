set -u
S=knlogs$$; C=knlogc$$
cleanup(){ [ -n "${UP:-}" ] && kill $UP; [ -n "${RP:-}" ] && kill $RP; ip netns del $C 2>/dev/null; ip netns del $S 2>/dev/null; }
trap cleanup EXIT
sysctl -qw net.netfilter.nf_log_all_netns=1
ip netns add $S; ip netns add $C
ip -n $S link set lo up; ip -n $C link set lo up
ip -n $S link add vs type veth peer name vc netns $C
ip -n $S addr add 10.201.7.1/24 dev vs; ip -n $C addr add 10.201.7.2/24 dev vc
ip -n $S addr add fd10:201:7::1/64 dev vs nodad; ip -n $C addr add fd10:201:7::2/64 dev vc nodad
ip -n $S link set vs up; ip -n $C link set vc up
ip netns exec $S nft -f - <<NFT
table inet knlog {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 1000-1255 tcp flags & (syn|ack) == syn log prefix "KNLOG: " log group 1 prefix "KNLOG:" drop
    udp dport 2000-2010 log prefix "KNLOG: " log group 1 prefix "KNLOG:" drop
    tcp dport 3000 log prefix "KNLOG-SEQ: " flags tcp sequence,options log group 1 prefix "KNLOG-SEQ:" drop
    tcp dport 5000 log prefix "KNLOG: " log group 1 prefix "KNLOG:" drop
    icmp type echo-request log prefix "KNLOG: " log group 1 prefix "KNLOG:" drop
    icmpv6 type echo-request log prefix "KNLOG: " log group 1 prefix "KNLOG:" drop
  }
}
NFT
ip netns exec $S iptables -A INPUT -p tcp --dport 4000:4010 --syn -j LOG --log-prefix "KNLOG-IPT: "
ip netns exec $S iptables -A INPUT -p tcp --dport 4000:4010 -j DROP
rm -f rs-*.log ulogd-logemu.log; rsyslogd -n -f /tmp/knlog/rsyslog.conf -i /tmp/knlog/rs.pid & RP=$!
ip netns exec $S /usr/sbin/ulogd -c /tmp/knlog/ulogd.conf & UP=$!
sleep 1
START=$(awk "{printf \"%d\", \$1*1000000}" /proc/uptime)
# TCP via bash /dev/tcp (client kernel SYNs)
for p in 1077 1100 1234; do ip netns exec $C timeout 0.3 bash -c "exec 3<>/dev/tcp/10.201.7.1/$p" 2>/dev/null; done
ip netns exec $C hping3 -q -S -p 1200 -c 2 -i u20000 10.201.7.1 >/dev/null 2>&1
ip netns exec $C hping3 -q -2 -p 2005 -c 2 -i u20000 10.201.7.1 >/dev/null 2>&1
ip netns exec $C bash -c 'echo x >/dev/udp/10.201.7.1/2001'
ip netns exec $C timeout 0.3 bash -c "exec 3<>/dev/tcp/10.201.7.1/3000" 2>/dev/null
ip netns exec $C timeout 0.3 bash -c "exec 3<>/dev/tcp/10.201.7.1/4005" 2>/dev/null
ip netns exec $C hping3 -q -A -p 5000 -c 1 10.201.7.1 >/dev/null 2>&1
ip netns exec $C hping3 -q -S -A -p 5000 -c 1 10.201.7.1 >/dev/null 2>&1
ip netns exec $C hping3 -q -1 -c 1 10.201.7.1 >/dev/null 2>&1
ip netns exec $C python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); s.sendto(bytes([128,0,0,0,0,1,0,1]), ("fd10:201:7::1", 0))'
# IPv6
ip netns exec $C timeout 0.3 bash -c "exec 3<>/dev/tcp/fd10:201:7::1/1111" 2>/dev/null
ip netns exec $C bash -c 'echo x >/dev/udp/fd10:201:7::1/2003'
sleep 0.3
timeout 1 cat /dev/kmsg > kmsg.all 2>/dev/null
awk -F'[,;]' -v s=$START '$3>=s && /KNLOG/' kmsg.all > kmsg.raw
dmesg > dmesg.all; dmesg -t > dmesg-t.all
cut -d';' -f2- kmsg.raw > msgs.txt
grep -F -f msgs.txt dmesg.all > dmesg.txt
grep -F -x -f msgs.txt dmesg-t.all > dmesg-t.txt
sleep 1; wc -l kmsg.raw ulogd-logemu.log rs-*.log dmesg.txt dmesg-t.txt
