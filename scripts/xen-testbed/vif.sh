#!/bin/sh
# Minimal vif hotplug script (libxl runs it with script= from the xl config):
# bring the backend interface up on the bridge and tell libxl it is connected.
case "$1" in
  online|add)
    ip link set "$vif" up
    brctl addif xenbr0 "$vif"
    xenstore-write "$XENBUS_PATH/hotplug-status" connected
    ;;
  offline|remove)
    brctl delif xenbr0 "$vif" 2>/dev/null # Linux may have removed it already
    ;;
esac
exit 0
