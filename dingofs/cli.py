"""The ``dingofs`` command-line tool (also ``python -m dingofs``).

Paths inside DingoFS are written ``/dir/file`` (the filesystem is chosen with
``--fs-name`` or ``$DINGOFS_FS_NAME``) or as URLs ``dingofs://NAME/dir/file``;
``-`` as a local file of ``put``/``get`` is standard input/output.
Commands that only read never create an embedded filesystem; commands that
write create a missing one only with ``--create``.
Exit status: 0 on success, 1 when an operation failed, 2 on a usage error; a
closed output pipe ends the command as ``SIGPIPE`` ends coreutils (status 141
in the shell).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import errno
import json
import os
import posixpath
import signal
import stat as stat_mod
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from dingofs._util import ReadsInto, copy_stream
from dingofs.path import (
    ConnectionSettings,
    split_url,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from dingofs._ffi import Backend
    from dingofs.client import Client
    from dingofs.types import Attr

__all__ = ["main", "build_parser"]

PROG = "dingofs"
#: Transfers at least this large show a progress bar when stderr is a terminal.
PROGRESS_THRESHOLD = 16 * 1024 * 1024
#: Chunk size of streamed transfers.
CHUNK = 8 * 1024 * 1024


class UsageError(Exception):
    """A bad command line (exit status 2)."""


class OpError(Exception):
    """A failed operation (exit status 1); the message is already formatted."""


def _reason(exc: BaseException) -> str:
    """The error text of ``exc``: the errno's message, with the library's
    explanation (e.g. why a cluster address cannot be served) when it has one.

    A :class:`BrokenPipeError` (the reader of our output went away) is not
    reported per file: it is raised again, to end the command as ``SIGPIPE``
    ends coreutils.
    """
    if isinstance(exc, BrokenPipeError):
        raise exc
    if isinstance(exc, OSError) and exc.errno is not None:
        detail = getattr(exc, "detail", "")
        text = os.strerror(exc.errno)
        return f"{text} ({detail})" if detail else text
    return str(exc) or type(exc).__name__


def _fail(verb: str, path: str, exc: BaseException) -> OpError:
    return OpError(f"cannot {verb} '{path}': {_reason(exc)}")


def _report(failure: object) -> int:
    """Print one failure (``dingofs: failure``) on standard error.

    :returns: 1, the exit status of a failed operation.
    """
    print(f"{PROG}: {failure}", file=sys.stderr)
    return 1


def _human(n: float) -> str:
    for unit in ("B", "K", "M", "G", "T", "P"):
        if abs(n) < 1024 or unit == "P":
            if unit == "B":
                return f"{int(n)}"
            return f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}P"


class Progress:
    """A one-line progress bar on stderr (or nothing when disabled)."""

    def __init__(self, total: int, enabled: bool, label: str = "") -> None:
        self.total = max(total, 0)
        self.done = 0
        self.enabled = enabled
        self.label = label
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        frac = self.done / self.total if self.total else 1.0
        width = 30
        bar = "#" * int(frac * width)
        rate = self.done / max(now - self.start, 1e-6)
        sys.stderr.write(
            f"\r{self.label} [{bar:<{width}}] {frac * 100:5.1f}% "
            f"{_human(self.done)}/{_human(self.total)} {_human(rate)}/s"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            self._last = 0.0
            self.update(0)
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------
# connection context
# ---------------------------------------------------------------------------
@dataclass
class Context:
    """What a command needs: options and a lazily built client."""

    args: argparse.Namespace
    fs_name: str | None = None
    _client: Client | None = None

    def remote(self, arg: str) -> str:
        """The in-filesystem path of a DingoFS argument (URL or path).

        :raises UsageError: if URLs name two filesystems, or a URL names
            another filesystem than ``--fs-name``.
        """
        name, path = split_url(arg)
        if name is not None:
            if self.fs_name is not None and self.fs_name != name:
                raise UsageError(
                    f"paths name two filesystems ('{self.fs_name}' and '{name}')"
                )
            flag = getattr(self.args, "fs_name", None)
            if flag is not None and flag != name:
                raise UsageError(
                    f"'{arg}' names filesystem '{name}' but --fs-name is '{flag}'"
                )
            if self._client is None:
                self.fs_name = name
        return path

    def settings(self) -> ConnectionSettings:
        """The connection settings; an embedded filesystem is opened with
        ``create=0`` unless the command writes and ``--create`` was given (or
        the address says ``create=`` itself)."""
        a = self.args
        try:
            settings = ConnectionSettings.resolve(
                self.fs_name or getattr(a, "fs_name", None),
                getattr(a, "mds_addrs", None),
                getattr(a, "mount_point", None),
                base_dir=getattr(a, "base_dir", None),
                conf_file=getattr(a, "conf_file", None),
                log_dir=getattr(a, "log_dir", None),
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if settings.is_local and not getattr(a, "create", False):
            # First in the query: a create= of the address itself comes later and
            # wins (the engine takes the last value of a repeated parameter).
            head, _, query = settings.mds_addrs.partition("?")
            addrs = f"{head}?create=0" + (f"&{query}" if query else "")
            settings = dataclasses.replace(settings, mds_addrs=addrs)
        return settings

    @property
    def client(self) -> Client:
        """The mounted client (built on first use).

        :raises OpError: if the filesystem cannot be mounted; for a missing
            embedded filesystem the message says how to create it.
        """
        if self._client is None:
            settings = self.settings()
            try:
                self._client = settings.connect()
            except FileNotFoundError as exc:
                if not settings.is_local:
                    raise _fail("mount", settings.mds_addrs, exc) from exc
                hint = ("; add --create to make it" if hasattr(self.args, "create")
                        else "; a command that writes makes it with --create")
                raise OpError(
                    f"cannot mount '{settings.fs_name}': no such filesystem "
                    f"under '{_local_base(settings.mds_addrs)}'{hint}"
                ) from exc
            except OSError as exc:
                raise _fail("mount", settings.mds_addrs, exc) from exc
        return self._client

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(OSError):
                client.stop()


def _local_engine() -> Backend:
    """The embedded engine, which alone knows ``local://`` filesystems.

    :raises OpError: when it is not loaded (only an upstream library, or no bridge).
    """
    try:
        from dingofs import _calls

        return _calls.local_engine()
    except (ImportError, OSError) as exc:
        detail = getattr(exc, "detail", "") or str(exc)
        raise OpError("embedded (local://) filesystems need the embedded engine, which is "
                      f"not loaded: {detail}") from exc


def _local_base(addrs: str) -> str:
    """The base directory of a ``local://`` address, as the engine resolves it (the
    address itself when the engine cannot tell)."""
    try:
        from dingofs import _calls

        backend = _calls.local_engine()
        raw = addrs.encode("utf-8", "surrogateescape")
        return _calls.local_info(backend, raw, parse_only=True, shown=addrs).base_dir
    except (ImportError, OSError):
        return addrs


def _local_address(name: str, base: str | None) -> bytes:
    """``local://NAME``, with ``base=`` (escaped) when one is given."""
    from urllib.parse import quote_from_bytes

    addrs = b"local://" + name.encode("utf-8", "surrogateescape")
    if base:
        addrs += b"?base=" + quote_from_bytes(os.fsencode(base), safe="/").encode("ascii")
    return addrs


def _write_all(out: Any, data: Any) -> None:
    """Write all of ``data`` to the binary stream ``out``, which may take only
    part of it per call (standard output is a raw file under ``python -u``)."""
    view = memoryview(data).cast("B")
    while view.nbytes:
        n = out.write(view)
        if n is None:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        view = view[n:]


def _resolve_args(ctx: Context, paths: Sequence[str]) -> list[tuple[str, str]]:
    """(as typed, in-filesystem path) for each argument; names checked first."""
    return [(p, ctx.remote(p)) for p in paths]


# ---------------------------------------------------------------------------
# commands: listing and metadata
# ---------------------------------------------------------------------------
def _mode_string(attr: Attr) -> str:
    return stat_mod.filemode(int(attr.st_mode))


def _time_string(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M")


def _long_line(client: Client, path: str, name: str, attr: Attr) -> str:
    line = (
        f"{_mode_string(attr)} {int(attr.st_nlink):>3} {int(attr.st_uid):>5} "
        f"{int(attr.st_gid):>5} {int(attr.st_size):>12} {_time_string(attr.st_mtime)} {name}"
    )
    if stat_mod.S_ISLNK(int(attr.st_mode)):
        with contextlib.suppress(OSError):
            line += f" -> {client.readlink(path)}"
    return line


def cmd_ls(ctx: Context, a: argparse.Namespace) -> int:
    status = 0
    targets = _resolve_args(ctx, a.paths or ["/"])
    client = ctx.client
    show_headers = a.recursive or len(targets) > 1
    out = sys.stdout
    first = True

    def list_dir(shown: str, path: str) -> None:
        nonlocal first, status
        with client.scandir(path) as it:
            names = sorted(str(e.name) for e in it)
        if not a.all:
            names = [n for n in names if not n.startswith(".")]
        if show_headers:
            if not first:
                out.write("\n")
            out.write(f"{shown}:\n")
        first = False
        subdirs: list[tuple[str, str]] = []
        for name in names:
            child = posixpath.join(path, name)
            shown_child = posixpath.join(shown, name)
            try:
                attr = client.lstat(child)
            except FileNotFoundError:
                continue
            if a.long:
                out.write(_long_line(client, child, name, attr) + "\n")
            else:
                out.write(name + "\n")
            if a.recursive and stat_mod.S_ISDIR(int(attr.st_mode)):
                subdirs.append((shown_child, child))
        for shown_child, child in subdirs:
            try:
                list_dir(shown_child, child)
            except OSError as exc:
                status = _report(_fail('open directory', shown_child, exc))

    files: list[tuple[str, str, Attr]] = []
    dirs: list[tuple[str, str]] = []
    for shown, path in targets:
        try:
            attr = client.stat(path)
        except OSError as exc:
            try:
                attr = client.lstat(path)
            except OSError:
                status = _report(_fail('access', shown, exc))
                continue
        if stat_mod.S_ISDIR(int(attr.st_mode)):
            dirs.append((shown, path))
        else:
            files.append((shown, path, client.lstat(path)))
    for shown, path, attr in files:
        out.write((_long_line(client, path, shown, attr) if a.long else shown) + "\n")
        first = False
    for shown, path in dirs:
        try:
            list_dir(shown, path)
        except OSError as exc:
            status = _report(_fail('open directory', shown, exc))
    return status


def _type_name(mode: int) -> str:
    for test, name in (
        (stat_mod.S_ISREG, "regular file"),
        (stat_mod.S_ISDIR, "directory"),
        (stat_mod.S_ISLNK, "symbolic link"),
        (stat_mod.S_ISFIFO, "fifo"),
        (stat_mod.S_ISSOCK, "socket"),
        (stat_mod.S_ISCHR, "character special file"),
        (stat_mod.S_ISBLK, "block special file"),
    ):
        if test(mode):
            return name
    return "unknown"


def _stat_dict(shown: str, attr: Attr) -> dict[str, Any]:
    mode = int(attr.st_mode)
    return {
        "path": shown,
        "type": _type_name(mode),
        "size": int(attr.st_size),
        "mode": f"{stat_mod.S_IMODE(mode):04o}",
        "ino": int(attr.st_ino),
        "nlink": int(attr.st_nlink),
        "uid": int(attr.st_uid),
        "gid": int(attr.st_gid),
        "atime_ns": int(attr.st_atime_ns),
        "mtime_ns": int(attr.st_mtime_ns),
        "ctime_ns": int(attr.st_ctime_ns),
        "flags": int(getattr(attr, "flags", 0) or 0),
    }


def _ts(ns: int) -> str:
    dt = datetime.datetime.fromtimestamp(ns // 1_000_000_000).astimezone()
    return dt.strftime("%Y-%m-%d %H:%M:%S") + f".{ns % 1_000_000_000:09d} " + dt.strftime("%z")


def cmd_stat(ctx: Context, a: argparse.Namespace) -> int:
    status = 0
    targets = _resolve_args(ctx, a.paths)
    client = ctx.client
    for shown, path in targets:
        try:
            attr = client.stat(path) if a.dereference else client.lstat(path)
        except OSError as exc:
            status = _report(_fail('stat', shown, exc))
            continue
        d = _stat_dict(shown, attr)
        if a.json:
            print(json.dumps(d, sort_keys=True))
            continue
        print(f"  File: {shown}")
        print(f"  Size: {d['size']:<15} Type: {d['type']}")
        print(f" Inode: {d['ino']:<15} Links: {d['nlink']}    Flags: {d['flags']:#x}")
        print(
            f"Access: ({d['mode']}/{_mode_string(attr)})  Uid: {d['uid']}  Gid: {d['gid']}"
        )
        print(f"Access: {_ts(d['atime_ns'])}")
        print(f"Modify: {_ts(d['mtime_ns'])}")
        print(f"Change: {_ts(d['ctime_ns'])}")
    return status


def cmd_cat(ctx: Context, a: argparse.Namespace) -> int:
    status = 0
    targets = _resolve_args(ctx, a.paths)
    client = ctx.client
    out = sys.stdout.buffer
    for shown, path in targets:
        try:
            with client.open(path, "rb") as f:
                while True:
                    data = f.read(CHUNK)
                    if not data:
                        break
                    _write_all(out, data)
        except OSError as exc:
            out.flush()
            status = _report(_fail('read', shown, exc))
    out.flush()
    return status


# ---------------------------------------------------------------------------
# commands: transfers
# ---------------------------------------------------------------------------
def _show_progress(a: argparse.Namespace, total: int) -> bool:
    if getattr(a, "progress", None) is not None:
        return bool(a.progress)
    return total >= PROGRESS_THRESHOLD and sys.stderr.isatty()


def _pump(src: ReadsInto, write: Callable[[memoryview], Any], progress: Progress) -> None:
    copy_stream(src, write, CHUNK, progress.update)


@dataclass
class _Job:
    src: str
    dst: str
    kind: str  # "file", "dir", "link"
    size: int = 0
    link: str = ""


def _local_jobs(src: str, dst: str, recursive: bool) -> list[_Job]:
    st = os.lstat(src)
    if stat_mod.S_ISLNK(st.st_mode) and not os.path.isdir(src):
        st = os.stat(src)
    if not stat_mod.S_ISDIR(st.st_mode):
        return [_Job(src, dst, "file", st.st_size)]
    if not recursive:
        raise OpError(f"-r not specified; omitting directory '{src}'")
    jobs = [_Job(src, dst, "dir")]
    for root, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(root, src)
        rdir = dst if rel == "." else posixpath.join(dst, *rel.split(os.sep))
        for name in sorted(dirnames):
            lp = os.path.join(root, name)
            if os.path.islink(lp):
                jobs.append(_Job(lp, posixpath.join(rdir, name), "link", link=os.readlink(lp)))
            else:
                jobs.append(_Job(lp, posixpath.join(rdir, name), "dir"))
        for name in sorted(filenames):
            lp = os.path.join(root, name)
            if os.path.islink(lp):
                jobs.append(_Job(lp, posixpath.join(rdir, name), "link", link=os.readlink(lp)))
            else:
                jobs.append(_Job(lp, posixpath.join(rdir, name), "file", os.path.getsize(lp)))
    return jobs


def _remote_jobs(client: Client, src: str, dst: str, recursive: bool,
                 join: Callable[..., str]) -> list[_Job]:
    attr = client.stat(src)
    if not stat_mod.S_ISDIR(int(attr.st_mode)):
        return [_Job(src, dst, "file", int(attr.st_size))]
    if not recursive:
        raise OpError(f"-r not specified; omitting directory '{src}'")
    jobs = [_Job(src, dst, "dir")]
    for root, dirnames, filenames in client.walk(src):
        root = str(root)
        rel = posixpath.relpath(root, src)
        ddir = dst if rel == "." else join(dst, *rel.split("/"))
        for name in sorted(list(dirnames) + list(filenames)):
            name = str(name)
            rp = posixpath.join(root, name)
            la = client.lstat(rp)
            mode = int(la.st_mode)
            if stat_mod.S_ISLNK(mode):
                jobs.append(_Job(rp, join(ddir, name), "link", link=str(client.readlink(rp))))
            elif stat_mod.S_ISDIR(mode):
                jobs.append(_Job(rp, join(ddir, name), "dir"))
            elif stat_mod.S_ISREG(mode):
                jobs.append(_Job(rp, join(ddir, name), "file", int(la.st_size)))
    return jobs


def _check_target(n_sources: int, dest_shown: str, dest_is_dir: bool) -> None:
    """:raises OpError: for several sources and a destination that is not a directory."""
    if n_sources > 1 and not dest_is_dir:
        raise OpError(f"target '{dest_shown}' is not a directory")


def _into_dir(n_sources: int, dest_shown: str, dest_is_dir: bool) -> bool:
    """Whether put/get/cp copy the sources into the destination directory (several
    sources, a trailing ``/`` or an existing directory) rather than onto it."""
    return n_sources > 1 or dest_shown.endswith("/") or dest_is_dir


def _remote_sources(ctx: Context, a: argparse.Namespace,
                    verb: str) -> tuple[list[tuple[str, str]], str, str, bool]:
    """The arguments of cp and mv: DingoFS sources and a DingoFS destination.

    :returns: the resolved sources, the destination as typed and resolved, and
        whether the destination is a directory.
    :raises UsageError: for fewer than two paths.
    :raises OpError: for several sources and a destination that is not a directory.
    """
    if len(a.paths) < 2:
        raise UsageError(f"{verb} needs a source and a destination")
    *sources, (dest_shown, dest) = _resolve_args(ctx, a.paths)
    dest_is_dir = ctx.client.isdir(dest)
    _check_target(len(sources), dest_shown, dest_is_dir)
    return sources, dest_shown, dest, dest_is_dir


def _target_for(src: str, dst: str, into: bool, basename: Callable[[str], str],
                join: Callable[..., str]) -> str:
    if into:
        base = basename(src.rstrip("/")) or basename(src)
        return join(dst, base)
    return dst


def _plan_jobs(sources: Sequence[tuple[str, str]],
               plan: Callable[[str, str], list[_Job]]) -> tuple[list[_Job], int]:
    """The put/get/cp plan: ``plan(shown, src)`` for each ``(shown, src)`` source.

    :returns: the jobs, and 1 when a source failed (each failure is reported), else 0.
    """
    status = 0
    jobs: list[_Job] = []
    for shown, src in sources:
        try:
            jobs.extend(plan(shown, src))
        except OpError as exc:
            status = _report(exc)
        except OSError as exc:
            status = _report(_fail('stat', shown, exc))
    return jobs, status


def _stream_copy(open_src: Callable[[str, str], Any],
                 open_dst: Callable[[str, str], Any]) -> Callable[[str, str, Progress], None]:
    """A file copier for :func:`_run_jobs` that streams ``open_src`` into ``open_dst``."""

    def copy(src: str, dst: str, progress: Progress) -> None:
        with open_src(src, "rb") as fin, open_dst(dst, "wb") as fout:
            _pump(fin, fout.write, progress)

    return copy


def _run_jobs(jobs: list[_Job], a: argparse.Namespace, label: str, status: int,
              makedirs: Callable[..., Any], symlink: Callable[[str, str], Any],
              copy: Callable[[str, str, Progress], None]) -> int:
    """Carry out a put/get/cp plan: directories, symlinks, then file copies with progress.

    :returns: ``status``, or 1 when a job failed (each failure is reported).
    """
    total = sum(j.size for j in jobs)
    progress = Progress(total, _show_progress(a, total), label)
    for job in jobs:
        try:
            if job.kind == "dir":
                makedirs(job.dst, exist_ok=True)
            elif job.kind == "link":
                symlink(job.link, job.dst)
            else:
                copy(job.src, job.dst, progress)
        except OSError as exc:
            status = _report(_fail('copy', job.src, exc))
    progress.finish()
    return status


def cmd_put(ctx: Context, a: argparse.Namespace) -> int:
    if len(a.paths) < 2:
        raise UsageError("put needs at least one local source and a destination")
    *sources, dest_arg = a.paths
    dest = ctx.remote(dest_arg)
    client = ctx.client
    try:
        dest_is_dir = client.isdir(dest)
    except OSError:
        dest_is_dir = False
    _check_target(len(sources), dest_arg, dest_is_dir)
    into = _into_dir(len(sources), dest_arg, dest_is_dir)
    if "-" in sources and into:
        raise UsageError("put from standard input ('-') needs a file name as destination")

    def plan(shown: str, src: str) -> list[_Job]:
        if src == "-":
            return [_Job(src, dest, "file")]
        target = _target_for(src, dest, into, os.path.basename, posixpath.join)
        return _local_jobs(src, target, a.recursive)

    jobs, status = _plan_jobs([(src, src) for src in sources], plan)

    def open_local(path: str, mode: str) -> Any:
        if path == "-":
            return contextlib.nullcontext(sys.stdin.buffer)
        return open(path, mode)

    def open_remote(path: str, mode: str) -> Any:
        # Written under a temporary name and renamed into place at the end, so an
        # interrupted or failed put leaves no partial file (an existing file keeps
        # its mode, owner and extended attributes).
        return client.atomic_write(path, mode)

    return _run_jobs(jobs, a, "put", status, client.makedirs, client.symlink,
                     _stream_copy(open_local, open_remote))


def cmd_get(ctx: Context, a: argparse.Namespace) -> int:
    if len(a.paths) < 2:
        raise UsageError("get needs at least one DingoFS source and a local destination")
    *sources, dest = a.paths
    resolved = _resolve_args(ctx, sources)
    if dest == "-":
        return _get_to_stdout(ctx, a, resolved)
    client = ctx.client
    dest_is_dir = os.path.isdir(dest)
    _check_target(len(sources), dest, dest_is_dir)
    into = _into_dir(len(sources), dest, dest_is_dir)

    def plan(shown: str, src: str) -> list[_Job]:
        target = _target_for(src, dest, into, posixpath.basename, os.path.join)
        return _remote_jobs(client, src, target, a.recursive, os.path.join)

    jobs, status = _plan_jobs(resolved, plan)
    return _run_jobs(jobs, a, "get", status, os.makedirs, os.symlink,
                     _stream_copy(client.open, open))


def _get_to_stdout(ctx: Context, a: argparse.Namespace,
                   resolved: list[tuple[str, str]]) -> int:
    """``get SRC... -``: the files' contents on standard output, one after another."""
    client = ctx.client
    out = sys.stdout.buffer
    status = 0
    for shown, src in resolved:
        try:
            if client.isdir(src):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), src)
            with client.open(src, "rb") as f:
                size = int(f.stat().st_size)
                progress = Progress(size, _show_progress(a, size), "get")
                _pump(f, lambda view: _write_all(out, view), progress)
                progress.finish()
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            out.flush()
            status = _report(_fail('copy', shown, exc))
    out.flush()
    return status


def _copy_file(client: Client, src: str, dst: str, progress: Progress) -> None:
    copier = getattr(client, "copy", None)
    if callable(copier):
        progress.update(int(copier(src, dst)))
        return
    _stream_copy(client.open, client.open)(src, dst, progress)


def cmd_cp(ctx: Context, a: argparse.Namespace) -> int:
    sources, dest_shown, dest, dest_is_dir = _remote_sources(ctx, a, "cp")
    client = ctx.client
    into = _into_dir(len(sources), dest_shown, dest_is_dir)

    def plan(shown: str, src: str) -> list[_Job]:
        target = _target_for(src, dest, into, posixpath.basename, posixpath.join)
        if target == src or target.startswith(src.rstrip("/") + "/"):
            raise OpError(f"cannot copy '{shown}' into itself")
        return _remote_jobs(client, src, target, a.recursive, posixpath.join)

    jobs, status = _plan_jobs(sources, plan)

    def copy(src: str, dst: str, progress: Progress) -> None:
        _copy_file(client, src, dst, progress)

    return _run_jobs(jobs, a, "cp", status, client.makedirs, client.symlink, copy)


def cmd_mv(ctx: Context, a: argparse.Namespace) -> int:
    sources, dest_shown, dest, dest_is_dir = _remote_sources(ctx, a, "mv")
    client = ctx.client
    status = 0
    for shown, src in sources:
        target = dest
        if dest_is_dir:
            target = posixpath.join(dest, posixpath.basename(src.rstrip("/")))
        try:
            client.rename(src, target)
        except OSError as exc:
            status = _report(f"cannot move '{shown}' to '{dest_shown}': {_reason(exc)}")
    return status


def _each_path(ctx: Context, paths: Sequence[str], verb: str,
               action: Callable[[Client, str], Any]) -> int:
    """``action(client, path)`` for each path argument (all resolved before the
    client is made), reporting each failure as ``cannot VERB 'PATH': REASON``.

    :returns: 0, or 1 when an action failed.
    """
    status = 0
    targets = _resolve_args(ctx, paths)
    client = ctx.client
    for shown, path in targets:
        try:
            action(client, path)
        except OSError as exc:
            status = _report(_fail(verb, shown, exc))
    return status


def cmd_rm(ctx: Context, a: argparse.Namespace) -> int:
    def remove(client: Client, path: str) -> None:
        try:
            attr = client.lstat(path)
            if stat_mod.S_ISDIR(int(attr.st_mode)):
                if not a.recursive:
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
                client.rmtree(path)
            else:
                client.unlink(path)
        except FileNotFoundError:
            if not a.force:
                raise

    return _each_path(ctx, a.paths, "remove", remove)


def cmd_mkdir(ctx: Context, a: argparse.Namespace) -> int:
    try:
        mode = int(a.mode, 8)
    except ValueError as exc:
        raise UsageError(f"invalid mode '{a.mode}'") from exc

    def make(client: Client, path: str) -> None:
        if a.parents:
            client.makedirs(path, mode, exist_ok=True)
        else:
            client.mkdir(path, mode)

    return _each_path(ctx, a.paths, "create directory", make)


def cmd_du(ctx: Context, a: argparse.Namespace) -> int:
    status = 0
    targets = _resolve_args(ctx, a.paths or ["/"])
    client = ctx.client
    fmt = _human if a.human_readable else (lambda n: str(int(n)))

    def usage(path: str, shown: str, depth: int) -> int:
        attr = client.lstat(path)
        if not stat_mod.S_ISDIR(int(attr.st_mode)):
            return int(attr.st_size)
        total = 0
        with client.scandir(path) as it:
            names = sorted(str(e.name) for e in it)
        for name in names:
            child = posixpath.join(path, name)
            try:
                total += usage(child, posixpath.join(shown, name), depth + 1)
            except FileNotFoundError:
                continue
        if not a.summarize and (a.max_depth is None or depth <= a.max_depth) and depth > 0:
            print(f"{fmt(total)}\t{shown}")
        return total

    for shown, path in targets:
        try:
            total = usage(path, shown, 0)
        except OSError as exc:
            status = _report(_fail('access', shown, exc))
            continue
        print(f"{fmt(total)}\t{shown}")
    return status


def cmd_df(ctx: Context, a: argparse.Namespace) -> int:
    if a.path is not None:
        ctx.remote(a.path)  # a dingofs://NAME/ URL chooses the filesystem
    client = ctx.client
    st = client.statfs()
    total, used = int(st.max_bytes), int(st.used_bytes)
    itotal, iused = int(st.max_inodes), int(st.used_inodes)
    fmt = _human if a.human_readable else (lambda n: str(int(n)))
    pct = f"{(used * 100 + total - 1) // total}%" if total else "-"
    ipct = f"{(iused * 100 + itotal - 1) // itotal}%" if itotal else "-"
    name = ctx.settings().fs_name
    print(f"{'Filesystem':<20} {'Size':>10} {'Used':>10} {'Avail':>10} {'Use%':>5} "
          f"{'Inodes':>14} {'IUsed':>10} {'IFree':>14} {'IUse%':>5}")
    print(f"{name:<20} {fmt(total):>10} {fmt(used):>10} {fmt(max(total - used, 0)):>10} "
          f"{pct:>5} {itotal:>14} {iused:>10} {max(itotal - iused, 0):>14} {ipct:>5}")
    return 0


def cmd_tree(ctx: Context, a: argparse.Namespace) -> int:
    (shown, root), = _resolve_args(ctx, [a.path])
    client = ctx.client
    counts = {"dirs": 0, "files": 0}
    try:
        if not client.isdir(root):
            client.lstat(root)
            print(shown)
            return 0
    except OSError as exc:
        return _report(_fail('access', shown, exc))
    print(shown)

    def walk(path: str, prefix: str, depth: int) -> None:
        try:
            with client.scandir(path) as it:
                names = sorted(str(e.name) for e in it)
        except OSError as exc:
            print(f"{prefix}[error opening dir: {_reason(exc)}]")
            return
        if not a.all:
            names = [n for n in names if not n.startswith(".")]
        for i, name in enumerate(names):
            last = i == len(names) - 1
            child = posixpath.join(path, name)
            try:
                attr = client.lstat(child)
            except FileNotFoundError:
                continue
            label = name
            mode = int(attr.st_mode)
            if stat_mod.S_ISLNK(mode):
                label += f" -> {client.readlink(child)}"
            print(f"{prefix}{'└── ' if last else '├── '}{label}")
            if stat_mod.S_ISDIR(mode):
                counts["dirs"] += 1
                if a.level is None or depth < a.level:
                    walk(child, prefix + ("    " if last else "│   "), depth + 1)
            else:
                counts["files"] += 1

    walk(root, "", 1)
    d, f = counts["dirs"], counts["files"]
    print(f"\n{d} director{'y' if d == 1 else 'ies'}, {f} file{'' if f == 1 else 's'}")
    return 0


def cmd_xattr(ctx: Context, a: argparse.Namespace) -> int:
    (shown, path), = _resolve_args(ctx, [a.path])
    client = ctx.client
    try:
        if a.xop == "get":
            value = client.getxattr(path, a.name, as_bytes=True)
            raw = value if isinstance(value, bytes) else os.fsencode(value)
            _write_all(sys.stdout.buffer, raw + b"\n")
            sys.stdout.buffer.flush()
        elif a.xop == "set":
            client.setxattr(path, a.name, os.fsencode(a.value))
        elif a.xop == "list":
            for name in client.listxattr(path):
                print(name)
        else:
            client.removexattr(path, a.name)
    except OSError as exc:
        verb = {"get": "get attribute of", "set": "set attribute of",
                "list": "list attributes of", "rm": "remove attribute of"}[a.xop]
        return _report(_fail(verb, shown, exc))
    return 0


def _fsck_function() -> Callable[..., Any]:
    import dingofs

    for owner in (dingofs, getattr(dingofs, "Client", None)):
        fn: object = getattr(owner, "fsck", None)
        if callable(fn):
            return fn
    raise OpError("this dingofs package does not expose the consistency checker (fsck)")


def cmd_fsck(ctx: Context, a: argparse.Namespace) -> int:
    if a.name:
        ctx.remote(f"dingofs://{a.name}/")
    settings = ctx.settings()
    if not settings.is_local:
        raise UsageError("fsck works on embedded (local://) filesystems only")
    fn = _fsck_function()
    try:
        result = fn(settings.mds_addrs, repair=a.repair)
    except OSError as exc:
        raise _fail("check", settings.fs_name, exc) from exc
    problems, report = _fsck_result(result)
    if report:
        sys.stdout.write(report if report.endswith("\n") else report + "\n")
    print(f"{settings.fs_name}: {problems} problem{'' if problems == 1 else 's'} found"
          + (" and repaired" if a.repair and problems else ""))
    if a.repair and problems:
        after, _ = _fsck_result(fn(settings.mds_addrs, repair=False))
        return 0 if after == 0 else 1
    return 0 if problems == 0 else 1


def _fsck_result(result: Any) -> tuple[int, str]:
    if isinstance(result, tuple):
        count, report = result[0], result[1]
        return int(count), str(report or "")
    count = getattr(result, "problems", getattr(result, "count", result))
    report = getattr(result, "report", "")
    if isinstance(report, (list, tuple)):
        report = "\n".join(str(r) for r in report)
    return int(count), str(report or "")


def cmd_options(ctx: Context, a: argparse.Namespace) -> int:
    from dingofs import Client

    status = 0
    for item in a.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set needs KEY=VALUE, got '{item}'")
        try:
            Client.set_option(key, value)
        except (OSError, ValueError) as exc:
            status = _report(f"cannot set option '{key}': {_reason(exc)}")
    if a.names:
        for name in a.names:
            try:
                print(f"{name}={Client.get_option(name)}")
            except (OSError, ValueError) as exc:
                status = _report(f"cannot get option '{name}': {_reason(exc)}")
        return status
    if a.set:
        return status
    for opt in Client.list_options():
        if a.json:
            print(json.dumps({"name": opt.name, "type": opt.type,
                              "default": opt.default_value, "description": opt.description}))
        else:
            print(f"{opt.name:<36} {opt.type:<8} {opt.default_value!s:<14} {opt.description}")
    return status


def cmd_local(ctx: Context, a: argparse.Namespace) -> int:
    from dingofs import _calls

    backend = _local_engine()
    base: str | None = getattr(a, "base_dir", None) or None
    raw_base = os.fsencode(base) if base else None
    if a.lop == "list":
        try:
            found = _calls.local_list(backend, raw_base, sizes=True, shown=base)
        except OSError as exc:
            shown = base or _calls.local_base_dir(backend)
            return _report(_fail('list', shown, exc))
        fmt = _human if a.human_readable else (lambda n: str(int(n)))
        for fs in found:
            print(f"{fs.name}\t{fmt(fs.size or 0)}")
        return 0
    status = 0
    for name in a.names:
        addrs = _local_address(name, base)
        try:
            info = _calls.local_info(backend, addrs, parse_only=True, shown=name)
            valid = info.name == name
        except OSError:
            valid = False
        if not valid:
            status = _report(f"cannot remove '{name}': invalid filesystem name")
            continue
        try:
            _calls.local_remove(backend, addrs, shown=name)
        except FileNotFoundError:
            status = _report(f"cannot remove '{name}': No such filesystem under "
                             f"'{info.base_dir}'")
        except OSError as exc:
            status = _report(_fail('remove', name, exc))
    return status


def _parse_size(text: str) -> int:
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().rstrip("B").rstrip("I")
    suffix = t[-1] if t and t[-1] in "KMG" else ""
    number = t[: len(t) - len(suffix)]
    try:
        value = int(float(number) * units[suffix])
    except ValueError as exc:
        raise UsageError(f"invalid size '{text}'") from exc
    if value < 0:
        raise UsageError(f"invalid size '{text}'")
    return value


def cmd_bench(ctx: Context, a: argparse.Namespace) -> int:
    size = _parse_size(a.size)
    block = _parse_size(a.block) or 1
    (shown, parent), = _resolve_args(ctx, [a.path])
    client = ctx.client
    work = posixpath.join(parent, f".dingofs-bench-{uuid.uuid4().hex[:12]}")
    results: dict[str, float] = {}
    try:
        client.makedirs(work, exist_ok=False)
        big = posixpath.join(work, "big")
        payload = memoryview(os.urandom(block))
        t0 = time.perf_counter()
        with client.open(big, "wb") as f:
            left = size
            while left > 0:
                n = min(left, block)
                f.write(payload[:n])
                left -= n
            f.fsync()
        t1 = time.perf_counter()
        with client.open(big, "rb") as f:
            buf = bytearray(block)
            while f.readinto(buf):
                pass
        t2 = time.perf_counter()
        results["write_MiB_s"] = size / (1 << 20) / max(t1 - t0, 1e-9)
        results["read_MiB_s"] = size / (1 << 20) / max(t2 - t1, 1e-9)
        small = posixpath.join(work, "small")
        client.mkdir(small)
        names = [posixpath.join(small, f"f{i:06d}") for i in range(a.files)]
        data = b"x" * 4096
        t0 = time.perf_counter()
        for name in names:
            with client.open(name, "wb") as f:
                f.write(data)
        t1 = time.perf_counter()
        for name in names:
            client.stat(name)
        t2 = time.perf_counter()
        for name in names:
            client.unlink(name)
        t3 = time.perf_counter()
        if a.files:
            results["create_4KiB_per_s"] = a.files / max(t1 - t0, 1e-9)
            results["stat_per_s"] = a.files / max(t2 - t1, 1e-9)
            results["unlink_per_s"] = a.files / max(t3 - t2, 1e-9)
    except OSError as exc:
        return _report(_fail('benchmark in', shown, exc))
    finally:
        try:
            if client.exists(work):
                client.rmtree(work)
        except OSError:
            pass
    if a.json:
        print(json.dumps({k: round(v, 1) for k, v in results.items()}, sort_keys=True))
    else:
        for key, value in results.items():
            print(f"{key:<20} {value:12.1f}")
    return 0


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit status 2, like argparse, with our prefix
        self.print_usage(sys.stderr)
        self.exit(2, f"{PROG}: error: {message}\n")


def _connection_parent() -> _Parser:
    p = _Parser(add_help=False)
    g = p.add_argument_group("connection (default: environment, then local://NAME)")
    g.add_argument("--mds-addrs", default=argparse.SUPPRESS,
                   help="MDS addresses host:port,... or local://NAME (env DINGOFS_MDS_ADDRS)")
    g.add_argument("--fs-name", default=argparse.SUPPRESS,
                   help="filesystem name (env DINGOFS_FS_NAME)")
    g.add_argument("--mount-point", default=argparse.SUPPRESS,
                   help="mount point label (env DINGOFS_MOUNT_POINT)")
    g.add_argument("--base-dir", default=argparse.SUPPRESS,
                   help="base directory of embedded filesystems (env DINGOFS_BASE_DIR)")
    g.add_argument("--conf-file", default=argparse.SUPPRESS, help="client configuration file")
    g.add_argument("--log-dir", default=argparse.SUPPRESS,
                   help="write a client log file there (env DINGOFS_LOG_DIR)")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dingofs`` command.

    :returns: a parser whose namespaces carry the command function in ``func``.
    """
    conn = _connection_parent()
    parser = _Parser(prog=PROG, parents=[conn],
                     description="Manage files on DingoFS (a cluster or an embedded local:// "
                                 "filesystem).")
    from dingofs._version import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    create = _Parser(add_help=False)
    create.add_argument("--create", action="store_true", default=False,
                        help="create the embedded filesystem if it does not exist")

    def add(name: str, func: Callable[[Context, argparse.Namespace], int], help_: str,
            writes: bool = False) -> argparse.ArgumentParser:
        parents = [conn, create] if writes else [conn]
        p = sub.add_parser(name, parents=parents, help=help_, description=help_)
        p.set_defaults(func=func, usage_parser=p)
        return p

    def progress_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="always show a progress bar")
        p.add_argument("--no-progress", dest="progress", action="store_false",
                       help="never show a progress bar")

    p = add("ls", cmd_ls, "list directory contents")
    p.add_argument("-l", dest="long", action="store_true", help="long listing")
    p.add_argument("-R", dest="recursive", action="store_true", help="list subdirectories")
    p.add_argument("-a", dest="all", action="store_true", help="show names starting with '.'")
    p.add_argument("paths", nargs="*", metavar="PATH")

    p = add("stat", cmd_stat, "show file attributes")
    p.add_argument("-L", dest="dereference", action="store_true", help="follow symlinks")
    p.add_argument("--json", action="store_true", help="one JSON object per path")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = add("cat", cmd_cat, "write files to standard output")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = add("put", cmd_put, "copy local files into DingoFS", writes=True)
    p.add_argument("-r", "-R", dest="recursive", action="store_true", help="copy directories")
    progress_flags(p)
    p.add_argument("paths", nargs="+", metavar="LOCAL... DEST")

    p = add("get", cmd_get, "copy files from DingoFS to the local disk")
    p.add_argument("-r", "-R", dest="recursive", action="store_true", help="copy directories")
    progress_flags(p)
    p.add_argument("paths", nargs="+", metavar="SRC... LOCAL")

    p = add("cp", cmd_cp, "copy files inside DingoFS", writes=True)
    p.add_argument("-r", "-R", dest="recursive", action="store_true", help="copy directories")
    progress_flags(p)
    p.add_argument("paths", nargs="+", metavar="SRC... DEST")

    p = add("mv", cmd_mv, "move (rename) files inside DingoFS", writes=True)
    p.add_argument("paths", nargs="+", metavar="SRC... DEST")

    p = add("rm", cmd_rm, "remove files or directories", writes=True)
    p.add_argument("-r", "-R", dest="recursive", action="store_true", help="remove directories")
    p.add_argument("-f", dest="force", action="store_true", help="ignore missing files")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = add("mkdir", cmd_mkdir, "create directories", writes=True)
    p.add_argument("-p", dest="parents", action="store_true", help="make parents as needed")
    p.add_argument("-m", dest="mode", default="777", help="permission bits (octal)")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = add("du", cmd_du, "summarise space used (apparent size in bytes)")
    p.add_argument("-s", dest="summarize", action="store_true", help="only a total per argument")
    p.add_argument("-H", "--human-readable", dest="human_readable", action="store_true")
    p.add_argument("-d", "--max-depth", dest="max_depth", type=int, default=None)
    p.add_argument("paths", nargs="*", metavar="PATH")

    p = add("df", cmd_df, "show filesystem capacity and usage")
    p.add_argument("-H", "--human-readable", dest="human_readable", action="store_true")
    p.add_argument("path", nargs="?", default=None, metavar="PATH",
                   help="a path or dingofs://NAME/ URL on the filesystem to show")

    p = add("tree", cmd_tree, "show a directory tree")
    p.add_argument("-L", dest="level", type=int, default=None, help="maximum depth")
    p.add_argument("-a", dest="all", action="store_true", help="show names starting with '.'")
    p.add_argument("path", nargs="?", default="/", metavar="PATH")

    p = add("xattr", cmd_xattr, "get, set, list or remove extended attributes")
    xsub = p.add_subparsers(dest="xop", metavar="OP", parser_class=_Parser)
    xsub.required = True
    xp = xsub.add_parser("get", parents=[conn], help="print an attribute's value")
    xp.add_argument("path", metavar="PATH")
    xp.add_argument("name", metavar="NAME")
    xp.set_defaults(usage_parser=xp)
    xp = xsub.add_parser("set", parents=[conn, create], help="set an attribute")
    xp.add_argument("path", metavar="PATH")
    xp.add_argument("name", metavar="NAME")
    xp.add_argument("value", metavar="VALUE")
    xp.set_defaults(usage_parser=xp)
    xp = xsub.add_parser("list", parents=[conn], help="list attribute names")
    xp.add_argument("path", metavar="PATH")
    xp.set_defaults(usage_parser=xp)
    xp = xsub.add_parser("rm", parents=[conn, create], help="remove an attribute")
    xp.add_argument("path", metavar="PATH")
    xp.add_argument("name", metavar="NAME")
    xp.set_defaults(usage_parser=xp)

    p = add("fsck", cmd_fsck, "check (and repair) an embedded filesystem")
    p.add_argument("--repair", action="store_true", help="repair (needs it unmounted)")
    p.add_argument("name", nargs="?", metavar="NAME", help="filesystem name")

    p = add("options", cmd_options, "list, read or set client options")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="set an option first")
    p.add_argument("--json", action="store_true", help="one JSON object per option")
    p.add_argument("names", nargs="*", metavar="NAME", help="print these options' values")

    p = add("local", cmd_local, "embedded filesystems under the base directory")
    lsub = p.add_subparsers(dest="lop", metavar="OP", parser_class=_Parser)
    lsub.required = True
    lp = lsub.add_parser("list", parents=[conn], help="list embedded filesystems and their size")
    lp.add_argument("-H", "--human-readable", dest="human_readable", action="store_true")
    lp.set_defaults(usage_parser=lp)
    lp = lsub.add_parser("rm", parents=[conn],
                         help="delete embedded filesystems (they must not be mounted)")
    lp.add_argument("names", nargs="+", metavar="NAME")
    lp.set_defaults(usage_parser=lp)

    p = add("bench", cmd_bench, "measure throughput and metadata rates", writes=True)
    p.add_argument("--size", default="64M", help="size of the streamed file (default 64M)")
    p.add_argument("--block", default="1M", help="I/O size (default 1M)")
    p.add_argument("--files", type=int, default=1000, help="number of small files")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("path", nargs="?", default="/", metavar="DIR",
                   help="directory to work in (default /)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    When the output pipe is closed early (``dingofs cat f | head``) the process
    ends quietly as coreutils do, killed by ``SIGPIPE`` (status 141 in the
    shell) once the client is stopped; called with ``argv`` (from Python) it
    returns 141 instead.

    :param argv: the arguments (default: ``sys.argv[1:]``).
    :returns: 0 on success, 1 when an operation failed, 2 on a usage error.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    usage_parser: argparse.ArgumentParser = getattr(args, "usage_parser", None) or parser
    if extra:
        usage_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    ctx = Context(args)
    broken_pipe = False
    try:
        status = int(args.func(ctx, args))
        sys.stdout.flush()
        return status
    except UsageError as exc:
        usage_parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OpError as exc:
        return _report(exc)
    except BrokenPipeError:
        broken_pipe = True
        # Nothing more reaches the reader; keep the final flush at exit quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        return _report(_reason(exc))
    finally:
        ctx.close()
        if broken_pipe and argv is None:
            _die_of_sigpipe()


def _die_of_sigpipe() -> None:
    """End the process as a write to a closed pipe ends coreutils: by SIGPIPE."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
