#!/bin/sh
# Minimal block hotplug script: the disk is a loop device set up by /init
# (target= in the xl config names it); hand blkback its major:minor.
case "$1" in
  add)
    dev=$(xenstore-read "$XENBUS_PATH/params")
    major=$(stat -L -c %t "$dev")
    minor=$(stat -L -c %T "$dev")
    xenstore-write "$XENBUS_PATH/physical-device" "$major:$minor"
    xenstore-write "$XENBUS_PATH/physical-device-path" "$dev"
    xenstore-write "$XENBUS_PATH/hotplug-status" connected
    ;;
esac
