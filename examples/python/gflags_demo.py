"""Library options: ``Client.set_option``, ``get_option``, ``list_options``, ``print_options``.

These are static methods: they work before any client exists, and new
clients pick the values up when they mount.
"""

import io

import common

import dingofs


def main():
    options = dingofs.Client.list_options()
    print(f"{len(options)} options, for example:")
    for opt in options[:5]:
        print(f"  {opt.name} ({opt.type}, default {opt.default_value!r}): {opt.description}")

    key = "vfs_meta_rpc_timeout_ms"
    print(f"{key} = {dingofs.Client.get_option(key)}")
    dingofs.Client.set_option(key, "20000")
    print(f"after set_option: {key} = {dingofs.Client.get_option(key)}")

    # Log settings are remembered by the module and used by the next build().
    dingofs.Client.set_option("log_level", "INFO")
    print("log_level =", dingofs.Client.get_option("log_level"))

    try:
        dingofs.Client.set_option("no_such_option", "1")
    except dingofs.DingofsError as exc:
        print(f"unknown option -> {type(exc).__name__}: {exc}")

    # print_options() writes to sys.stdout, or to any text file given.
    buf = io.StringIO()
    dingofs.Client.print_options(file=buf)
    lines = buf.getvalue().splitlines()
    print(f"print_options wrote {len(lines)} lines; first: {lines[0] if lines else ''!r}")

    with common.connect() as client:
        print("mounted with the options above; statfs:", client.statfs())


if __name__ == "__main__":
    main()
