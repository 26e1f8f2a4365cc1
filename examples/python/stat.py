"""Inspect attributes with ``stat``/``lstat`` and the ``os.stat_result`` view."""

import stat as statmod
import time

import common


def describe(label, attr):
    print(
        f"{label}: type={attr.type.name} mode={statmod.filemode(attr.mode)} "
        f"ino={attr.ino} nlink={attr.nlink} uid={attr.uid} gid={attr.gid} "
        f"size={attr.length}"
    )


def main():
    with common.connect() as client, common.scratch(client, "stat") as top:
        path = f"{top}/report.csv"
        with client.open(path, "wb") as f:
            f.write(b"a,b\n1,2\n")

        attr = client.stat(path)
        describe("file", attr)
        # Times are integer nanoseconds; st_* mirror os.stat_result.
        print(f"  mtime_ns={attr.mtime} = {time.ctime(attr.st_mtime)}")
        print(f"  st_size={attr.st_size} st_blocks={attr.st_blocks} st_blksize={attr.st_blksize}")
        print(f"  S_ISREG(st_mode): {statmod.S_ISREG(attr.st_mode)}")
        print(f"  as os.stat_result: {attr.to_stat_result()}")

        describe("directory", client.stat(top))

        client.symlink("report.csv", f"{top}/latest")
        describe("stat(latest) follows the link", client.stat(f"{top}/latest"))
        describe("lstat(latest) is the link", client.lstat(f"{top}/latest"))

        try:
            client.stat(f"{top}/nothing-here")
        except FileNotFoundError as exc:
            print(f"stat of a missing name -> errno {exc.errno}: {exc}")


if __name__ == "__main__":
    main()
