"""``python -m dingofs``: the command-line tool (see :mod:`dingofs.cli`)."""
from dingofs.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
