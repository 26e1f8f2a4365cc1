"""Raw inode ioctls: read the inode flags and the extended flag word."""

import errno
import struct

import common

import dingofs

# The ioctl numbers are the Linux ones, exported by the module:
# dingofs.FS_IOC_GETFLAGS (0x80086601) and FS_IOC_SETFLAGS (0x40086602) take an
# 8-byte argument, FS_IOC_FSGETXATTR (0x801C581F) a 28-byte struct fsxattr.

# Inode flag bits (linux/fs.h).
FS_NOATIME_FL = 0x00000080
FS_NODUMP_FL = 0x00000040


def get_flags(client, path):
    out = client.ioctl(path, dingofs.FS_IOC_GETFLAGS)  # 8 bytes: a C long
    return struct.unpack("=Q", out)[0] & 0xFFFFFFFF


def main():
    with common.connect() as client, common.scratch(client, "ioctl") as top:
        path = f"{top}/data"
        with client.open(path, "wb") as f:
            f.write(b"payload")

        print(f"FS_IOC_GETFLAGS: {get_flags(client, path):#010x}")

        wanted = get_flags(client, path) | FS_NOATIME_FL | FS_NODUMP_FL
        client.ioctl(path, dingofs.FS_IOC_SETFLAGS, struct.pack("=Q", wanted))
        print(f"FS_IOC_SETFLAGS {wanted:#x}; now {get_flags(client, path):#010x}")

        # struct fsxattr: xflags, extsize, nextents, projid, cowextsize, 8 pad bytes.
        try:
            out = client.ioctl(path, dingofs.FS_IOC_FSGETXATTR, out_size=28)
        except OSError as exc:
            if exc.errno != errno.EOPNOTSUPP:
                raise
            print(f"FS_IOC_FSGETXATTR is not supported here: {exc}")
        else:
            xflags, _extsize, _nextents, projid, _cow = struct.unpack_from("=5I", out)
            print(f"FS_IOC_FSGETXATTR: xflags={xflags:#x} projid={projid}")

        # The stat result carries the same flag word.
        print(f"stat().flags: {client.stat(path).flags:#010x}")


if __name__ == "__main__":
    main()
