"""Create and read symbolic links (``symlink``, ``readlink``, ``lstat``)."""

import common


def main():
    with common.connect() as client, common.scratch(client, "symlink") as top:
        client.mkdir(f"{top}/releases")
        with client.open(f"{top}/releases/v1.txt", "wb") as f:
            f.write(b"release one\n")

        attr = client.symlink("releases/v1.txt", f"{top}/current")
        print(f"symlink current -> releases/v1.txt (ino={attr.ino}, type={attr.type.name})")
        print("readlink(current):", client.readlink(f"{top}/current"))
        # A bytes path gives a bytes result.
        print("readlink(b'.../current'):", client.readlink(f"{top}/current".encode()))

        # Opening through the link reaches the target.
        with client.open(f"{top}/current", "rb") as f:
            print("read through the link:", f.read())

        print("islink(current):", client.islink(f"{top}/current"))

        # A dangling link: lstat works, stat does not.
        client.symlink("releases/v2.txt", f"{top}/next")
        print("lstat(next) size (length of the target text):", client.lstat(f"{top}/next").length)
        try:
            client.stat(f"{top}/next")
        except FileNotFoundError as exc:
            print(f"stat(next) -> FileNotFoundError: {exc}")

        # unlink removes the link, never its target.
        client.unlink(f"{top}/current")
        print("after unlink(current):", [e.name for e in client.listdir(f"{top}/releases")])


if __name__ == "__main__":
    main()
