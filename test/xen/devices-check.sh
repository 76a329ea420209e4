# dom0's side of test/apps/devices on the test bed (scripts/xen-testbed/init.sh
# runs it beside the guest: $1 the guest's name, $2 its console log): once the
# unikernel says every device connected, read each backend's state and its
# hotplug script's status from xenstore, as dom0 sees them; then destroy it.
for i in $(seq 1 60); do
  grep -q "^devices: all connected" "$2" && break
  sleep 1
done
domid=$(xl domid "$1")
for kind in vbd vif; do
  # the backend's devices: xenstore-ls's unindented lines (the test bed has no xenstore-list)
  for dev in $(xenstore-ls "/local/domain/0/backend/$kind/$domid" 2>/dev/null | sed -n 's/^\([^ ]*\) = .*/\1/p'); do
    back=/local/domain/0/backend/$kind/$domid/$dev
    echo "$kind: state $(xenstore-read "$back/state") hotplug-status $(xenstore-read "$back/hotplug-status")"
  done
done
xl destroy "$1"
