"""List directories lazily with ``scandir`` and all at once with ``listdir``."""

import common


def main():
    with common.connect() as client, common.scratch(client, "scandir") as top:
        client.mkdir(f"{top}/subdir")
        for i in range(3):
            with client.open(f"{top}/file{i}.dat", "wb") as f:
                f.write(b"x" * (100 * (i + 1)))
        client.symlink("file0.dat", f"{top}/link")

        # scandir() is an iterator and a context manager; the entries
        # know their type without an extra stat call.
        with client.scandir(top) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_symlink():
                    kind = "symlink"
                elif entry.is_dir():
                    kind = "dir"
                else:
                    kind = "file"
                size = entry.stat().st_size if entry.is_file(follow_symlinks=False) else ""
                print(f"  {entry.name:10} {kind:8} ino={entry.inode():<6} {size}")

        # Leaving the with-block early closes the directory handle at once.
        with client.scandir(top) as entries:
            first = next(entries)
            print("first entry:", first.name, "-", first.path)

        # listdir() returns DirEntry objects (name and ino) in one call.
        names = sorted(e.name for e in client.listdir(top))
        print("listdir:", names)

        # A bytes path gives bytes names.
        print("listdir (bytes):", sorted(e.name for e in client.listdir(top.encode())))


if __name__ == "__main__":
    main()
