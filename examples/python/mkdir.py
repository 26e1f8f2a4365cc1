"""Create and remove directories (``mkdir``, ``makedirs``, ``rmdir``)."""

import common


def main():
    with common.connect() as client, common.scratch(client, "mkdir") as top:
        attr = client.mkdir(f"{top}/photos", 0o750)
        # The process umask is applied, as os.mkdir does.
        print(f"mkdir photos: ino={attr.ino} mode={oct(attr.mode)} nlink={attr.nlink}")

        try:
            client.mkdir(f"{top}/photos")
        except FileExistsError as exc:
            print(f"mkdir again -> FileExistsError: {exc}")

        client.makedirs(f"{top}/photos/2024/summer")
        client.makedirs(f"{top}/photos/2024/summer", exist_ok=True)
        print("makedirs photos/2024/summer (twice, exist_ok=True)")

        print("entries of photos:", [e.name for e in client.listdir(f"{top}/photos")])

        try:
            client.rmdir(f"{top}/photos/2024")
        except OSError as exc:
            print(f"rmdir of a non-empty directory -> {type(exc).__name__}: {exc}")

        client.rmdir(f"{top}/photos/2024/summer")
        client.rmdir(f"{top}/photos/2024")
        print("rmdir photos/2024/summer and photos/2024")


if __name__ == "__main__":
    main()
