"""Show the capacity and usage of the filesystem (``Client.statfs``)."""

import common


def show(label, st):
    print(
        f"{label}: {st.used_bytes} of {st.max_bytes} bytes used, "
        f"{st.used_inodes} of {st.max_inodes} inodes used"
    )


def main():
    with common.connect() as client:
        show("before", client.statfs())
        with common.scratch(client, "statfs") as top:
            with client.open(f"{top}/blob", "wb") as f:
                f.write(b"\xab" * (1 << 20))
            # On a shared cluster other users change the numbers too.
            show("after writing 1 MiB", client.statfs())
        show("after cleanup", client.statfs())


if __name__ == "__main__":
    main()
