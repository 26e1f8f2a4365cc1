"""Extended attributes: set, get, list and remove."""

import errno
import os

import common


def main():
    with common.connect() as client, common.scratch(client, "xattr") as top:
        path = f"{top}/photo.jpg"
        with client.open(path, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0 not really a JPEG")

        client.setxattr(path, "user.author", "Ada")
        client.setxattr(path, "user.checksum", bytes.fromhex("deadbeef"))
        client.setxattr(path, "user.empty", b"")
        print("listxattr:", sorted(client.listxattr(path)))

        print("getxattr user.author:", client.getxattr(path, "user.author"))
        print(
            "getxattr user.checksum as bytes:",
            client.getxattr(path, "user.checksum", as_bytes=True).hex(),
        )

        # XATTR_CREATE fails if the attribute exists, XATTR_REPLACE if it does not.
        try:
            client.setxattr(path, "user.author", "Grace", os.XATTR_CREATE)
        except FileExistsError as exc:
            print(f"XATTR_CREATE on an existing name -> FileExistsError: {exc}")
        client.setxattr(path, "user.author", "Grace", os.XATTR_REPLACE)
        print("after XATTR_REPLACE:", client.getxattr(path, "user.author"))

        client.removexattr(path, "user.empty")
        try:
            client.getxattr(path, "user.empty")
        except OSError as exc:
            assert exc.errno == errno.ENODATA
            print(f"getxattr after removexattr -> ENODATA: {exc}")
        print("listxattr:", sorted(client.listxattr(path)))


if __name__ == "__main__":
    main()
