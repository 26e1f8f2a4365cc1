"""Change inode flags with ``set_attr(path, SET_ATTR_FLAGS, attr)``.

Ordinary flags such as ``FS_NOATIME_FL`` only need ownership of the file.
The immutable and append-only flags need root, as on Linux: as a normal user
the example shows the ``PermissionError``; as root it shows what they enforce.
"""

import os

import common

import dingofs

FS_IMMUTABLE_FL = 0x00000010
FS_APPEND_FL = 0x00000020
FS_NOATIME_FL = 0x00000080


def set_flags(client, path, flags):
    """Replace the inode flag word of ``path`` and return the new Attr."""
    return client.set_attr(path, dingofs.SET_ATTR_FLAGS, dingofs.Attr(flags=flags))


def try_change(label, action):
    """Run ``action``; report whether the filesystem refused it."""
    try:
        action()
    except PermissionError as exc:
        print(f"  {label} -> refused: {exc}")
    else:
        print(f"  {label} -> allowed")


def append_line(client, path):
    with client.open(path, "ab") as f:
        f.write(b"another entry\n")


def demo_append_only(client, path, base_flags):
    try:
        set_flags(client, path, base_flags | FS_APPEND_FL)
    except PermissionError as exc:
        print(f"FS_APPEND_FL as uid {os.geteuid()} -> PermissionError: {exc}")
        return
    print(f"FS_APPEND_FL set (flags {client.stat(path).flags:#x})")
    try:
        try_change("append", lambda: append_line(client, path))
        try_change("truncate", lambda: client.truncate(path, 0))
    finally:
        set_flags(client, path, base_flags)


def demo_immutable(client, path, base_flags):
    try:
        set_flags(client, path, base_flags | FS_IMMUTABLE_FL)
    except PermissionError as exc:
        print(f"FS_IMMUTABLE_FL as uid {os.geteuid()} -> PermissionError: {exc}")
        return
    print(f"FS_IMMUTABLE_FL set (flags {client.stat(path).flags:#x})")
    try:
        try_change("chmod", lambda: client.chmod(path, 0o600))
        try_change("setxattr", lambda: client.setxattr(path, "user.note", "x"))
        try_change("rename", lambda: client.rename(path, path + ".old"))
    finally:
        set_flags(client, path, base_flags)  # so that the cleanup can remove it


def main():
    with common.connect() as client, common.scratch(client, "setflags") as top:
        path = f"{top}/log.txt"
        with client.open(path, "wb") as f:
            f.write(b"first entry\n")

        flags = client.stat(path).flags
        print(f"flags at creation: {flags:#x}")
        flags = set_flags(client, path, flags | FS_NOATIME_FL).flags
        print(f"set FS_NOATIME_FL -> flags {flags:#x}")

        demo_append_only(client, path, flags)
        demo_immutable(client, path, flags)
        print(f"final flags: {client.stat(path).flags:#x}")


if __name__ == "__main__":
    main()
