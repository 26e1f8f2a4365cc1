"""A hypothesis state machine running the same operations on two sides.

Side "host": :mod:`os` and ``builtins.open`` on a temporary host directory.
Side "sdk": a ``dingofs.Client`` (or anything with the same methods) on a
filesystem of its own. Each rule applies one operation to both sides and
compares the return values, or the exception kind and errno. Paths are bytes
on both sides (bytes in, bytes out), relative to a work directory ``w`` made
on each side with the same mode, so the root's owner and mode never matter.

Subclasses say how to build the client: :meth:`DiffMachine.open_client`.
"""
from __future__ import annotations

import io
import os
import stat as S
import tempfile
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from .hostfs import PAST_CUTOFF_NS, HostCaps, errno_name, escapes, probe_host, remove_tree

#: Names used at every level: plain, invalid UTF-8, valid non-ASCII UTF-8 and
#: a 255-byte name that is also invalid UTF-8.
NAMES = (b"a", b"b", b"\xff\xfe", "\u00e9".encode(), b"\xe9" * 255)
SHORT_NAMES = NAMES[:4]
#: Endings added to a path now and then (first = most frequent, shrinks to it).
SUFFIXES = (b"",) * 16 + (b"/", b"/.", b"/..", b"/./")
UMASKS = (0o022, 0o002, 0o077, 0o000, 0o027)
PERMS = (0o644, 0o755, 0o600, 0o700, 0o777, 0o000, 0o444, 0o4755, 0o2755, 0o1777, 0o7777)
OPEN_MODES = ("rb", "wb", "ab", "xb", "rb+", "wb+", "ab+", "xb+")
XATTR_NAMES = ("user.a", "user.bb", "user.\u00e9", "trusted.t", "bogus.x")
MAX_FILES = 6

payloads = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda chunk, n: chunk * n, st.binary(min_size=1, max_size=4),
              st.integers(1, 3000)),
)
offsets = st.one_of(st.integers(0, 9000), st.sampled_from([65536, 1 << 20]))
sizes = st.one_of(st.integers(0, 9000), st.just(1 << 20))
read_sizes = st.one_of(st.integers(-1, 5000), st.just(1 << 20))
symlink_targets = st.builds(
    lambda comps, tail: b"/".join(comps) + tail,
    st.lists(st.sampled_from(SHORT_NAMES + (b"..", b".")), min_size=1, max_size=3),
    st.sampled_from([b"", b"", b"", b"/"]),
)
past_ns = st.integers(0, PAST_CUTOFF_NS - 1)


class Outcome:
    """What one side of an operation did: a value or an exception."""

    __slots__ = ("value", "exc")

    def __init__(self, value: Any = None, exc: BaseException | None = None) -> None:
        self.value = value
        self.exc = exc

    @property
    def ok(self) -> bool:
        return self.exc is None

    def kind(self) -> tuple[str, int | None]:
        e = self.exc
        assert e is not None
        if isinstance(e, io.UnsupportedOperation):
            return ("UnsupportedOperation", None)
        if isinstance(e, OSError):
            return ("OSError", e.errno)
        if isinstance(e, ValueError):
            return ("ValueError", None)
        if isinstance(e, TypeError):
            return ("TypeError", None)
        return (type(e).__name__, None)

    def __repr__(self) -> str:
        if self.ok:
            v = self.value
            if isinstance(v, (bytes, bytearray)) and len(v) > 48:
                return f"ok({len(v)} bytes {bytes(v[:16])!r}...)"
            return f"ok({v!r})"
        kind, err = self.kind()
        return f"{kind}[{errno_name(err)}]({self.exc})"


def run(fn: Callable[[], Any], sdk_side: bool) -> Outcome:
    try:
        return Outcome(fn())
    except (OSError, ValueError, TypeError) as e:
        return Outcome(exc=e)
    except Exception:
        if not sdk_side:
            raise
        raise  # anything else from the SDK is a bug in itself: let it fail the test


class Divergence(AssertionError):
    pass


def _builtin_oserror_class(err: int | None) -> type:
    return type(OSError(err, "x")) if err is not None else OSError


def host_pread(f: io.FileIO, n: int, off: int) -> bytes:
    if f.closed:
        raise ValueError("I/O operation on closed file")
    if not f.readable():
        raise io.UnsupportedOperation("File not open for reading")
    return os.pread(f.fileno(), n, off)


def host_pwrite(f: io.FileIO, data: bytes, off: int) -> int:
    if f.closed:
        raise ValueError("I/O operation on closed file")
    if not f.writable():
        raise io.UnsupportedOperation("File not open for writing")
    return os.pwrite(f.fileno(), data, off)


def host_fstat(f: io.FileIO) -> os.stat_result:
    return os.fstat(f.fileno())  # fileno() raises ValueError once closed


def host_fsync(f: io.FileIO) -> None:
    os.fsync(f.fileno())


class DiffMachine(RuleBasedStateMachine):
    """Same operations on the host directory and on the SDK; compare all."""

    #: Directory under which scratch directories are made (None: $TMPDIR).
    scratch_parent: str | None = None
    _caps: HostCaps | None = None

    # -- building -------------------------------------------------------------
    def open_client(self, base: str, umask: int) -> Any:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def caps(cls) -> HostCaps:
        if DiffMachine._caps is None:
            DiffMachine._caps = probe_host(cls.scratch_parent)
        return DiffMachine._caps

    def __init__(self) -> None:
        super().__init__()
        self.client: Any = None
        self.tmp: str | None = None
        self.old_umask: int | None = None
        self.files: list[tuple[io.FileIO, Any, bytes, str]] = []
        self.cap = self.caps()

    @initialize(umask=st.sampled_from(UMASKS))
    def setup(self, umask: int) -> None:
        self.tmp = tempfile.mkdtemp(prefix="dfs-diff-", dir=self.scratch_parent)
        self.old_umask = os.umask(umask)
        self.umask = umask
        host_top = os.path.join(self.tmp, "host")
        os.mkdir(host_top, 0o755)
        sdk_base = os.path.join(self.tmp, "sdk")
        os.mkdir(sdk_base, 0o755)
        self.client = self.open_client(sdk_base, umask)
        self.hw = os.fsencode(host_top) + b"/w"
        self.sw = b"/w"
        os.mkdir(self.hw)
        os.chmod(self.hw, 0o755)
        self.client.mkdir(self.sw)
        self.client.chmod(self.sw, 0o755)

    def teardown(self) -> None:
        try:
            if self.client is not None:
                for hf, sf, _, _ in self.files:
                    hf.close()
                    sf.close()
                self.files.clear()
                self.compare_tree()
        finally:
            try:
                if self.client is not None:
                    self.client.stop()
            finally:
                if self.old_umask is not None:
                    os.umask(self.old_umask)
                if self.tmp is not None:
                    remove_tree(self.tmp)

    # -- paths -----------------------------------------------------------------
    def hp(self, rel: bytes) -> bytes:
        return self.hw + b"/" + rel

    def sp(self, rel: bytes) -> bytes:
        return self.sw + b"/" + rel

    def existing(self) -> list[bytes]:
        """Relative paths present on the host (not following symlinks)."""
        found: list[bytes] = []

        def walk(rel: bytes, depth: int) -> None:
            try:
                names = sorted(os.listdir(self.hp(rel) if rel else self.hw))
            except OSError:
                return
            for n in names:
                r = rel + b"/" + n if rel else n
                found.append(r)
                if depth < 3:
                    try:
                        if S.S_ISDIR(os.lstat(self.hp(r)).st_mode):
                            walk(r, depth + 1)
                    except OSError:
                        pass

        walk(b"", 1)
        return found

    def path(self, data: st.DataObject, label: str = "path", *, fresh: bool = False
             ) -> bytes | None:
        """A path relative to the work directory; ``fresh`` prefers new names."""
        existing = self.existing()
        kinds = (("top", "child", "child", "existing", "random") if fresh else
                 ("top", "existing", "existing", "existing", "child", "random"))
        how = data.draw(st.sampled_from(kinds), label=f"{label} kind")
        if how in ("existing", "child") and existing:
            rel = data.draw(st.sampled_from(existing), label=label)
            if how == "child":
                rel += b"/" + data.draw(st.sampled_from(NAMES), label=f"{label} child")
        elif how != "random":
            rel = data.draw(st.sampled_from(NAMES), label=label)
        else:
            comps = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3),
                              label=label)
            rel = b"/".join(comps)
        rel += data.draw(st.sampled_from(SUFFIXES), label=f"{label} suffix")
        if escapes(self.hw, rel):
            return None
        return rel

    # -- comparing -------------------------------------------------------------
    def both(self, label: str, host_fn: Callable[[], Any], sdk_fn: Callable[[], Any],
             *, values: bool = True, key: Callable[[Any], Any] | None = None
             ) -> tuple[Outcome, Outcome]:
        h = run(host_fn, False)
        s = run(sdk_fn, True)
        self.check(label, h, s, values=values, key=key)
        return h, s

    def check(self, label: str, h: Outcome, s: Outcome, *, values: bool = True,
              key: Callable[[Any], Any] | None = None) -> None:
        if h.ok != s.ok:
            raise Divergence(f"{label}: host {h!r} but sdk {s!r}")
        if h.ok:
            if values:
                hv, sv = h.value, s.value
                if key is not None:
                    hv, sv = key(hv), key(sv)
                if hv != sv:
                    raise Divergence(f"{label}: host returned {hv!r}, sdk {sv!r}")
            return
        if h.kind() != s.kind():
            raise Divergence(f"{label}: host {h!r} but sdk {s!r}")
        kind, err = s.kind()
        if kind == "OSError":
            want = _builtin_oserror_class(err)
            if not isinstance(s.exc, want):
                raise Divergence(f"{label}: sdk raised {type(s.exc).__mro__} for "
                                 f"{errno_name(err)}, not a {want.__name__}")

    def stat_key(self, st_: Any) -> tuple:
        mode = st_.st_mode
        fmt = S.S_IFMT(mode)
        is_dir = S.S_ISDIR(mode)
        key: list[Any] = [oct(fmt), oct(S.S_IMODE(mode)), st_.st_uid, st_.st_gid]
        key.append(st_.st_nlink if (not is_dir or self.cap.dir_nlink) else None)
        key.append(st_.st_size if (S.S_ISREG(mode) or S.S_ISLNK(mode)) else None)
        key.append("mtime set explicitly" if st_.st_mtime_ns < PAST_CUTOFF_NS
                    else "mtime recent")
        return tuple(key)

    def compare_stat(self, label: str, rel: bytes, follow: bool) -> None:
        if follow:
            self.both(f"{label} stat({rel!r})", lambda: os.stat(self.hp(rel)),
                      lambda: self.client.stat(self.sp(rel)), key=self.stat_key)
        else:
            self.both(f"{label} lstat({rel!r})", lambda: os.lstat(self.hp(rel)),
                      lambda: self.client.lstat(self.sp(rel)), key=self.stat_key)

    def snapshot(self, host: bool) -> dict[bytes, Any]:
        """Everything observable below the work directory, keyed by path."""
        out: dict[bytes, Any] = {}
        inos: dict[bytes, int] = {}
        top = self.hw if host else self.sw

        def p(rel: bytes) -> bytes:
            return top + b"/" + rel if rel else top

        def attempt(fn: Callable[[], Any]) -> Outcome:
            return run(fn, not host)

        def listing(rel: bytes) -> Any:
            if host:
                return sorted(os.listdir(p(rel)))
            return sorted(e.name for e in self.client.listdir(p(rel)))

        def walk(rel: bytes) -> None:
            o = attempt(lambda: listing(rel))
            out[rel + b" (listdir)"] = o if not o.ok else o.value
            if not o.ok:
                return
            for n in o.value:
                r = rel + b"/" + n if rel else n
                lo = attempt(lambda r=r: os.lstat(p(r)) if host else self.client.lstat(p(r)))
                if not lo.ok:
                    out[r] = lo
                    continue
                st_ = lo.value
                out[r] = self.stat_key(st_)
                inos[r] = st_.st_ino
                mode = st_.st_mode
                if S.S_ISLNK(mode):
                    out[r + b" (target)"] = attempt(
                        lambda r=r: os.readlink(p(r)) if host else self.client.readlink(p(r)))
                if S.S_ISREG(mode):
                    out[r + b" (data)"] = attempt(lambda r=r: self._read_all(host, p(r)))
                if (S.S_ISREG(mode) or S.S_ISDIR(mode)) and self.cap.user_xattr:
                    out[r + b" (xattrs)"] = attempt(lambda r=r: self._xattrs(host, p(r)))
                if S.S_ISDIR(mode):
                    walk(r)

        walk(b"")
        # hard links: the same inode on one side must be the same inode on the other
        groups: dict[int, list[bytes]] = {}
        for r, ino in inos.items():
            groups.setdefault(ino, []).append(r)
        out[b" (hard-link groups)"] = sorted(sorted(g) for g in groups.values())
        return out

    def _read_all(self, host: bool, path: bytes) -> bytes:
        if host:
            with open(path, "rb", buffering=0) as f:
                return f.readall()
        with self.client.open(path, "rb", buffering=0) as f:
            return f.readall()

    def _xattrs(self, host: bool, path: bytes) -> list[tuple[str, bytes]]:
        if host:
            names = [n for n in os.listxattr(path) if n.startswith(("user.", "trusted."))]
            return sorted((n, os.getxattr(path, n)) for n in names)
        names = [n for n in self.client.listxattr(path) if n.startswith(("user.", "trusted."))]
        return sorted((n, self.client.getxattr(path, n, as_bytes=True)) for n in names)

    def compare_tree(self) -> None:
        h = self.snapshot(True)
        s = self.snapshot(False)
        if h.keys() != s.keys():
            only_h = sorted(set(h) - set(s))
            only_s = sorted(set(s) - set(h))
            raise Divergence(f"tree: only on host {only_h!r}, only in sdk {only_s!r}")
        for k in sorted(h):
            hv, sv = h[k], s[k]
            if isinstance(hv, Outcome) or isinstance(sv, Outcome):
                ho = hv if isinstance(hv, Outcome) else Outcome(hv)
                so = sv if isinstance(sv, Outcome) else Outcome(sv)
                self.check(f"tree {k!r}", ho, so)
            elif hv != sv:
                raise Divergence(f"tree {k!r}: host {hv!r}, sdk {sv!r}")

    # -- namespace rules ---------------------------------------------------------
    @rule(data=st.data(), mode=st.sampled_from(PERMS))
    def mkdir(self, data: st.DataObject, mode: int) -> None:
        rel = self.path(data, fresh=True)
        if rel is None:
            return
        self.both(f"mkdir({rel!r}, {mode:o})", lambda: os.mkdir(self.hp(rel), mode),
                  lambda: self.client.mkdir(self.sp(rel), mode), values=False)
        self.compare_stat("after mkdir", rel, follow=False)

    @rule(data=st.data(), perm=st.sampled_from(PERMS), fifo=st.booleans())
    def mknod(self, data: st.DataObject, perm: int, fifo: bool) -> None:
        if fifo and not self.cap.fifo:
            return
        rel = self.path(data, fresh=True)
        if rel is None:
            return
        mode = (S.S_IFIFO if fifo else S.S_IFREG) | perm
        self.both(f"mknod({rel!r}, {mode:o})", lambda: os.mknod(self.hp(rel), mode),
                  lambda: self.client.mknod(self.sp(rel), mode), values=False)
        self.compare_stat("after mknod", rel, follow=False)

    @rule(data=st.data(), mode=st.sampled_from(OPEN_MODES))
    def open(self, data: st.DataObject, mode: str) -> None:
        rel = self.path(data)
        if rel is None:
            return
        try:  # opening a FIFO on the host would block; the engine refuses it (ENXIO)
            if S.S_ISFIFO(os.stat(self.hp(rel)).st_mode):
                return
        except OSError:
            pass
        h, s = self.both(f"open({rel!r}, {mode!r})",
                         lambda: open(self.hp(rel), mode, buffering=0),  # noqa: SIM115
                         lambda: self.client.open(self.sp(rel), mode, buffering=0),
                         values=False)
        if h.ok:
            self.files.append((h.value, s.value, rel, mode))
            self.both(f"tell after open({rel!r}, {mode!r})", h.value.tell, s.value.tell)
            while len(self.files) > MAX_FILES:
                hf, sf, _, _ = self.files.pop(0)
                hf.close()
                sf.close()
        self.compare_stat("after open", rel, follow=True)

    @rule(data=st.data(), what=st.sampled_from(("file", "dir", "open")),
          perm=st.sampled_from(PERMS), mode=st.sampled_from(("wb", "ab+", "xb+", "rb+")))
    def create(self, data: st.DataObject, what: str, perm: int, mode: str) -> None:
        """Creation is drawn more often than the rest so trees grow."""
        if what == "file":
            self.mknod(data, perm, False)
        elif what == "dir":
            self.mkdir(data, perm)
        else:
            self.open(data, mode)

    @rule(data=st.data())
    def unlink(self, data: st.DataObject) -> None:
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"unlink({rel!r})", lambda: os.unlink(self.hp(rel)),
                  lambda: self.client.unlink(self.sp(rel)), values=False)
        self.compare_stat("after unlink", rel, follow=False)

    @rule(data=st.data())
    def rmdir(self, data: st.DataObject) -> None:
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"rmdir({rel!r})", lambda: os.rmdir(self.hp(rel)),
                  lambda: self.client.rmdir(self.sp(rel)), values=False)
        self.compare_stat("after rmdir", rel, follow=False)

    @rule(data=st.data())
    def rename(self, data: st.DataObject) -> None:
        src = self.path(data, "src")
        dst = self.path(data, "dst", fresh=True)
        if src is None or dst is None:
            return
        self.both(f"rename({src!r}, {dst!r})", lambda: os.rename(self.hp(src), self.hp(dst)),
                  lambda: self.client.rename(self.sp(src), self.sp(dst)), values=False)
        self.compare_stat("after rename", src, follow=False)
        self.compare_stat("after rename", dst, follow=False)

    @rule(data=st.data())
    def link(self, data: st.DataObject) -> None:
        src = self.path(data, "src")
        dst = self.path(data, "dst", fresh=True)
        if src is None or dst is None:
            return
        self.both(f"link({src!r}, {dst!r})",
                  lambda: os.link(self.hp(src), self.hp(dst), follow_symlinks=False),
                  lambda: self.client.link(self.sp(src), self.sp(dst)), values=False)
        self.compare_stat("after link", src, follow=False)
        self.compare_stat("after link", dst, follow=False)

    @rule(data=st.data(), dest=symlink_targets)
    def symlink(self, data: st.DataObject, dest: bytes) -> None:
        target = dest
        rel = self.path(data, fresh=True)
        if rel is None:
            return
        self.both(f"symlink({target!r}, {rel!r})", lambda: os.symlink(target, self.hp(rel)),
                  lambda: self.client.symlink(target, self.sp(rel)), values=False)
        self.compare_stat("after symlink", rel, follow=False)

    @rule(data=st.data())
    def readlink(self, data: st.DataObject) -> None:
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"readlink({rel!r})", lambda: os.readlink(self.hp(rel)),
                  lambda: self.client.readlink(self.sp(rel)))

    @rule(data=st.data(), mode=st.sampled_from(PERMS))
    def chmod(self, data: st.DataObject, mode: int) -> None:
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"chmod({rel!r}, {mode:o})", lambda: os.chmod(self.hp(rel), mode),
                  lambda: self.client.chmod(self.sp(rel), mode), values=False)
        self.compare_stat("after chmod", rel, follow=True)

    @rule(data=st.data(), length=sizes)
    def truncate(self, data: st.DataObject, length: int) -> None:
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"truncate({rel!r}, {length})", lambda: os.truncate(self.hp(rel), length),
                  lambda: self.client.truncate(self.sp(rel), length), values=False)
        self.compare_stat("after truncate", rel, follow=True)

    @rule(data=st.data(), times=st.one_of(st.none(), st.tuples(past_ns, past_ns)),
          follow=st.booleans())
    def utime(self, data: st.DataObject, times: tuple[int, int] | None, follow: bool) -> None:
        rel = self.path(data)
        if rel is None:
            return
        if times is None:
            h, s = self.both(f"utime({rel!r}, None, follow_symlinks={follow})",
                             lambda: os.utime(self.hp(rel), follow_symlinks=follow),
                             lambda: self.client.utime(self.sp(rel), follow_symlinks=follow),
                             values=False)
        else:
            h, s = self.both(
                f"utime({rel!r}, ns={times}, follow_symlinks={follow})",
                lambda: os.utime(self.hp(rel), ns=times, follow_symlinks=follow),
                lambda: self.client.utime(self.sp(rel), ns=times, follow_symlinks=follow),
                values=False)
        if times is not None and h.ok and self.cap.ns_times:
            get = self.client.stat if follow else self.client.lstat
            a = get(self.sp(rel))
            got = (a.st_atime_ns, a.st_mtime_ns)
            if got != times:
                raise Divergence(f"utime({rel!r}, ns={times}): sdk reads back {got}")
        self.compare_stat("after utime", rel, follow=follow)

    @rule(data=st.data(), follow=st.booleans())
    def stat(self, data: st.DataObject, follow: bool) -> None:
        rel = self.path(data)
        if rel is not None:
            self.compare_stat("", rel, follow=follow)

    @rule(data=st.data())
    def listdir(self, data: st.DataObject) -> None:
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"listdir({rel!r})", lambda: sorted(os.listdir(self.hp(rel))),
                  lambda: sorted(e.name for e in self.client.listdir(self.sp(rel))))

    @rule(data=st.data(), name=st.sampled_from(XATTR_NAMES),
          value=st.binary(max_size=64), flags=st.sampled_from([0, 0, 1, 2]))
    def setxattr(self, data: st.DataObject, name: str, value: bytes, flags: int) -> None:
        if not self.cap.user_xattr or (name.startswith("trusted.")
                                       and not self.cap.trusted_xattr):
            return
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"setxattr({rel!r}, {name!r}, {value!r}, {flags})",
                  lambda: os.setxattr(self.hp(rel), name, value, flags),
                  lambda: self.client.setxattr(self.sp(rel), name, value, flags),
                  values=False)

    @rule(data=st.data(), name=st.sampled_from(XATTR_NAMES))
    def removexattr(self, data: st.DataObject, name: str) -> None:
        if not self.cap.user_xattr or (name.startswith("trusted.")
                                       and not self.cap.trusted_xattr):
            return
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"removexattr({rel!r}, {name!r})",
                  lambda: os.removexattr(self.hp(rel), name),
                  lambda: self.client.removexattr(self.sp(rel), name), values=False)

    @rule(data=st.data(), name=st.sampled_from(XATTR_NAMES))
    def getxattr(self, data: st.DataObject, name: str) -> None:
        if not self.cap.user_xattr or (name.startswith("trusted.")
                                       and not self.cap.trusted_xattr):
            return
        rel = self.path(data)
        if rel is None:
            return
        self.both(f"getxattr({rel!r}, {name!r})", lambda: os.getxattr(self.hp(rel), name),
                  lambda: self.client.getxattr(self.sp(rel), name, as_bytes=True))

    @rule(data=st.data())
    def listxattr(self, data: st.DataObject) -> None:
        if not self.cap.user_xattr:
            return
        rel = self.path(data)
        if rel is None:
            return

        def mine(names: list[str]) -> list[str]:
            return sorted(n for n in names if n.startswith(("user.", "trusted.")))

        self.both(f"listxattr({rel!r})", lambda: mine(os.listxattr(self.hp(rel))),
                  lambda: mine(self.client.listxattr(self.sp(rel))))

    @rule()
    def tree(self) -> None:
        self.compare_tree()

    # -- open-file rules ---------------------------------------------------------
    def pick(self, data: st.DataObject) -> tuple[io.FileIO, Any, str]:
        i = data.draw(st.integers(0, len(self.files) - 1), label="file index")
        hf, sf, rel, mode = self.files[i]
        return hf, sf, f"[{rel!r} {mode}]"

    @precondition(lambda self: self.files)
    @rule(data=st.data(), payload=payloads)
    def f_write(self, data: st.DataObject, payload: bytes) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.write({len(payload)} bytes)", lambda: hf.write(payload),
                  lambda: sf.write(payload))
        self.both(f"{tag}.tell()", hf.tell, sf.tell)

    @precondition(lambda self: self.files)
    @rule(data=st.data(), payload=payloads, off=offsets)
    def f_pwrite(self, data: st.DataObject, payload: bytes, off: int) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.pwrite({len(payload)} bytes, {off})",
                  lambda: host_pwrite(hf, payload, off), lambda: sf.pwrite(payload, off))
        self.both(f"{tag}.tell()", hf.tell, sf.tell)

    @precondition(lambda self: self.files)
    @rule(data=st.data(), n=read_sizes)
    def f_read(self, data: st.DataObject, n: int) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.read({n})", lambda: hf.read(n), lambda: sf.read(n))
        self.both(f"{tag}.tell()", hf.tell, sf.tell)

    @precondition(lambda self: self.files)
    @rule(data=st.data(), n=st.integers(0, 5000), off=offsets)
    def f_pread(self, data: st.DataObject, n: int, off: int) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.pread({n}, {off})", lambda: host_pread(hf, n, off),
                  lambda: sf.pread(n, off))

    @precondition(lambda self: self.files)
    @rule(data=st.data(), off=st.integers(-100, 9000), whence=st.sampled_from([0, 1, 2]))
    def f_seek(self, data: st.DataObject, off: int, whence: int) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.seek({off}, {whence})", lambda: hf.seek(off, whence),
                  lambda: sf.seek(off, whence))

    @precondition(lambda self: self.files)
    @rule(data=st.data(), size=st.one_of(st.none(), sizes))
    def f_truncate(self, data: st.DataObject, size: int | None) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.truncate({size})", lambda: hf.truncate(size),
                  lambda: sf.truncate(size))
        self.both(f"{tag}.tell()", hf.tell, sf.tell)

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def f_stat(self, data: st.DataObject) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.stat()", lambda: host_fstat(hf), sf.stat, key=self.stat_key)

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def f_fsync(self, data: st.DataObject) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.fsync()", lambda: host_fsync(hf), sf.fsync, values=False)

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def f_close(self, data: st.DataObject) -> None:
        hf, sf, tag = self.pick(data)
        self.both(f"{tag}.close()", hf.close, sf.close)
        self.both(f"{tag}.closed", lambda: hf.closed, lambda: sf.closed)
