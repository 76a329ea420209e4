#!/bin/sh
# Minimal block hotplug script (libxl runs it with script= from the xl
# config): put the disk image named by target= on a loop device and hand
# blkback its major:minor (hex, as Linux's own block script writes it).
case "$1" in
  add)
    file=$(xenstore-read "$XENBUS_PATH/params")
    dev=$(losetup -f)
    losetup "$dev" "$file" || exit 1
    xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c %t:%T "$dev")"
    xenstore-write "$XENBUS_PATH/physical-device-path" "$dev"
    xenstore-write "$XENBUS_PATH/hotplug-status" connected
    ;;
  remove)
    dev=$(xenstore-read "$XENBUS_PATH/physical-device-path" 2>/dev/null)
    [ -n "$dev" ] && losetup -d "$dev"
    ;;
esac
