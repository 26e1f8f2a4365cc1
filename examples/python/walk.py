"""Walk a directory tree with ``walk`` (same results as ``os.walk``)."""

import common


def build_tree(client, top):
    for d in ("src/pkg", "src/.cache", "docs"):
        client.makedirs(f"{top}/{d}")
    for name, size in {
        "README": 40,
        "src/main.py": 120,
        "src/pkg/util.py": 300,
        "src/.cache/blob": 5000,
        "docs/index.md": 80,
    }.items():
        with client.open(f"{top}/{name}", "wb") as f:
            f.write(b"#" * size)


def main():
    with common.connect() as client, common.scratch(client, "walk") as top:
        build_tree(client, top)

        total = 0
        for dirpath, dirnames, filenames in client.walk(top):
            # Prune hidden directories in place, as with os.walk.
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                size = client.stat(f"{dirpath}/{name}").length
                total += size
                print(f"  {dirpath[len(top) :] or '/'}: {name} ({size} bytes)")
        print(f"total without hidden directories: {total} bytes")

        print("bottom-up order:")
        for dirpath, _dirnames, _filenames in client.walk(top, topdown=False):
            print(f"  {dirpath[len(top) :] or '/'}")


if __name__ == "__main__":
    main()
