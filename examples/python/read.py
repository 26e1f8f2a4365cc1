"""Read files: whole, in pieces, into a buffer, at an offset, line by line."""

import os

import common


def main():
    with common.connect() as client, common.scratch(client, "read") as top:
        path = f"{top}/data.txt"
        with client.open(path, "wb") as f:
            f.write(b"".join(b"line %d\n" % i for i in range(1, 6)))

        with client.open(path, "rb") as f:
            print("read():", f.read())

        with client.open(path, "rb") as f:
            print("read(6):", f.read(6))
            f.seek(-7, os.SEEK_END)
            print("after seek(-7, SEEK_END):", f.read())
            # pread() reads at an offset without moving the position.
            print("pread(6, 14):", f.pread(6, 14))

        # readinto() fills an existing buffer without an extra copy.
        with client.open(path, "rb") as f:
            buf = bytearray(10)
            n = f.readinto(buf)
            print(f"readinto: {n} bytes -> {bytes(buf[:n])!r}")

        # Text mode with line iteration.
        with client.open(path, "rt", encoding="ascii") as f:
            for number, line in enumerate(f, start=1):
                print(f"  {number}: {line.rstrip()}")

        # A buffered reader (buffering > 1) for many small reads.
        with client.open(path, "rb", buffering=64 * 1024) as f:
            print("buffered readline():", f.readline())

        try:
            client.open(f"{top}/missing", "rb")
        except FileNotFoundError as exc:
            print(f"open of a missing file -> FileNotFoundError: {exc}")


if __name__ == "__main__":
    main()
