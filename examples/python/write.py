"""Write files: binary, appending, text and positional writes."""

import common


def main():
    with common.connect() as client, common.scratch(client, "write") as top:
        path = f"{top}/notes.bin"

        # "w" is binary, as in the upstream SDK: write() takes bytes.
        with client.open(path, "wb") as f:
            n = f.write(b"hello, dingofs\n")
            print(f"wrote {n} bytes to {path}")

        with client.open(path, "ab") as f:
            f.write(bytearray(b"appended line\n"))
            f.fsync()
        print(f"appended; size is now {client.stat(path).length}")

        # pwrite() writes at an offset without moving the file position.
        with client.open(path, "rb+") as f:
            f.pwrite(b"HELLO", 0)
            print(f"pwrite at offset 0; position stays at {f.tell()}")

        # Text mode: ask for it with "t" or an encoding.
        text_path = f"{top}/poem.txt"
        with client.open(text_path, "w", encoding="utf-8") as f:
            f.write("Grüße aus DingoFS\n")
            f.write("second line\n")
        print(f"text file {text_path}: {client.stat(text_path).length} bytes (UTF-8)")

        # Exclusive creation fails if the name exists.
        try:
            client.open(path, "xb")
        except FileExistsError as exc:
            print(f"open(..., 'xb') on an existing file -> FileExistsError: {exc}")

        with client.open(path, "rb") as f:
            print("content:", f.read())


if __name__ == "__main__":
    main()
