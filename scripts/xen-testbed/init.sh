#!/bin/busybox sh
# /init of the test bed's Linux dom0 (XEN-TESTBED.md, stage 2): start the Xen
# toolstack, then `xl create` each guest listed in /guests/list ("name
# timeout-seconds stream|summary" per line) in turn, one at a time. A
# streamed guest's console goes out as "TESTBED <name>: <line>" (Xen's serial
# console drops bytes under a flood, so floods are summarised instead). A
# guest's check.sh, if any, runs beside it ("TESTBED <name> check: <line>").
# Afterwards every guest gets "TESTBED <name> log <lines> <md5>" of its whole
# console log, "TESTBED <name> file <file> <sha256>" for each of its *.img
# disk images, and "TESTBED <name> shutdown <reason>" (poweroff, reboot,
# suspend, crash, watchdog, soft_reset, destroyed, or timeout). Ends with
# "TESTBED done" and a reboot, which ends QEMU (-no-reboot).
/bin/busybox --install -s /bin
export PATH=/bin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/xen /var/run/xen /var/lib/xen /var/lib/xenstored /var/log/xen/console
mount -t devpts devpts /dev/pts

for module in llc stp bridge loop xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-netback xen-blkback; do
  insmod /modules/$module.ko || echo "TESTBED warning: insmod $module failed"
done
mount -t xenfs xenfs /proc/xen

xenstored --pid-file=/run/xenstored.pid
xen-init-dom0 >/dev/null
xenconsoled --log=guest --log-dir=/var/log/xen/console
brctl addbr xenbr0
ip addr add 10.0.0.1/24 dev xenbr0
ip link set xenbr0 up
echo "TESTBED ready"

reason_name() {
  case "$1" in
    0) echo poweroff ;; 1) echo reboot ;; 2) echo suspend ;; 3) echo crash ;;
    4) echo watchdog ;; 5) echo soft_reset ;; *) echo "unknown-$1" ;;
  esac
}

while read -r name limit mode; do
  [ -n "$name" ] || continue
  dir=/guests/$name
  log=/var/log/xen/console/guest-$name.log
  : > "$log"
  mkfifo /tmp/$name.fifo
  tail -F "$log" > /tmp/$name.fifo 2>/dev/null &
  tail_pid=$!
  if [ "$mode" = stream ]; then
    while IFS= read -r line; do echo "TESTBED $name: $line"; done < /tmp/$name.fifo &
  else
    cat /tmp/$name.fifo > /dev/null &
  fi
  reader_pid=$!
  xl create -F "$dir/cfg" > /tmp/$name.xl 2>&1 &
  xl_pid=$!
  check_pid=
  if [ -f "$dir/check.sh" ]; then
    sh "$dir/check.sh" "$name" "$log" 2>&1 | while IFS= read -r line; do echo "TESTBED $name check: $line"; done &
    check_pid=$!
  fi
  ( sleep "$limit"; echo timeout > /tmp/$name.timeout; xl destroy "$name" ) 2>/dev/null &
  watchdog_pid=$!
  wait $xl_pid
  kill $watchdog_pid 2>/dev/null
  sleep 1 # let xenconsoled log the last lines
  kill $tail_pid
  wait $reader_pid
  [ -n "$check_pid" ] && wait $check_pid
  if [ -f /tmp/$name.timeout ]; then
    reason=timeout
  else
    code=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' /tmp/$name.xl | head -n 1)
    if [ -n "$code" ]; then reason=$(reason_name "$code")
    elif grep -q "has been destroyed" /tmp/$name.xl; then reason=destroyed
    else reason=unknown; fi
  fi
  [ "$reason" = unknown ] && sed "s/^/TESTBED $name xl: /" /tmp/$name.xl
  echo "TESTBED $name log $(wc -l < "$log") $(md5sum < "$log" | cut -d ' ' -f 1)"
  for image in "$dir"/*.img; do
    [ -f "$image" ] && echo "TESTBED $name file ${image##*/} $(sha256sum < "$image" | cut -d ' ' -f 1)"
  done
  echo "TESTBED $name shutdown $reason"
done < /guests/list

echo "TESTBED done"
reboot -f
