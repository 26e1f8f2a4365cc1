"""Create special files with ``mknod``: a regular file, a FIFO, a device node."""

import errno
import os
import stat

import common


def show(label, attr):
    print(f"{label}: type={attr.type.name} mode={stat.filemode(attr.mode)} size={attr.length}")


def make_fifo(client, path):
    try:
        attr = client.mknod(path, stat.S_IFIFO | 0o600)
    except OSError as exc:
        if exc.errno != errno.EOPNOTSUPP:
            raise
        print(f"FIFOs are not supported by this library: {exc}")
        return
    show("FIFO", attr)
    # There is no kernel pipe behind it here: opening one fails.
    try:
        client.open(path, "rb")
    except OSError as exc:
        print(f"open of the FIFO -> {errno.errorcode[exc.errno]}: {exc}")


def make_device(client, path):
    # Device nodes need root, as on Linux.
    try:
        attr = client.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError as exc:
        print(f"character device as uid {os.geteuid()} -> PermissionError: {exc}")
    except OSError as exc:
        if exc.errno != errno.EOPNOTSUPP:
            raise
        print(f"device nodes are not supported by this library: {exc}")
    else:
        show("character device", attr)
        print(f"  rdev = {os.major(attr.rdev)},{os.minor(attr.rdev)}")


def main():
    with common.connect() as client, common.scratch(client, "mknod") as top:
        show("regular file", client.mknod(f"{top}/empty", stat.S_IFREG | 0o644))
        make_fifo(client, f"{top}/pipe")
        make_device(client, f"{top}/null")


if __name__ == "__main__":
    main()
