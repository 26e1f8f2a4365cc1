"""Rename files and directories (``rename``), including atomic replacement."""

import common


def main():
    with common.connect() as client, common.scratch(client, "rename") as top:
        with client.open(f"{top}/draft.txt", "wb") as f:
            f.write(b"version 1\n")
        client.rename(f"{top}/draft.txt", f"{top}/final.txt")
        print("renamed draft.txt -> final.txt:", [e.name for e in client.listdir(top)])

        # Replacing an existing file is atomic: readers see the old or
        # the new contents, never a mix.
        with client.open(f"{top}/final.txt.tmp", "wb") as f:
            f.write(b"version 2\n")
        client.rename(f"{top}/final.txt.tmp", f"{top}/final.txt")
        with client.open(f"{top}/final.txt", "rb") as f:
            print("after replacing final.txt:", f.read())

        client.mkdir(f"{top}/inbox")
        client.rename(f"{top}/final.txt", f"{top}/inbox/final.txt")
        client.rename(f"{top}/inbox", f"{top}/archive")
        print(
            "moved into inbox, then renamed inbox -> archive:",
            [e.name for e in client.listdir(f"{top}/archive")],
        )

        try:
            client.rename(f"{top}/draft.txt", f"{top}/other.txt")
        except FileNotFoundError as exc:
            print(f"rename of a missing name -> FileNotFoundError: {exc}")


if __name__ == "__main__":
    main()
