"""Hard links: two names for one inode (``link``, ``unlink``)."""

import common


def main():
    with common.connect() as client, common.scratch(client, "link") as top:
        with client.open(f"{top}/original", "wb") as f:
            f.write(b"shared contents\n")

        attr = client.link(f"{top}/original", f"{top}/alias")
        print(f"link original -> alias: ino={attr.ino} nlink={attr.nlink}")
        print("same inode:", client.stat(f"{top}/original").ino == client.stat(f"{top}/alias").ino)

        with client.open(f"{top}/alias", "ab") as f:
            f.write(b"written through alias\n")
        with client.open(f"{top}/original", "rb") as f:
            print("original now holds:", f.read())

        client.unlink(f"{top}/original")
        attr = client.stat(f"{top}/alias")
        print(f"after unlink(original): alias still there, nlink={attr.nlink}")

        try:
            client.link(top, f"{top}/dir-link")
        except PermissionError as exc:
            print(f"hard link to a directory -> PermissionError: {exc}")


if __name__ == "__main__":
    main()
