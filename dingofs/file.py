"""Files: :class:`DingoFile` (an :class:`io.RawIOBase`) and ``open()``'s mode logic."""

from __future__ import annotations

import codecs
import contextlib
import errno as _errno
import io
import warnings
import weakref
from typing import TYPE_CHECKING, Any, Callable

from ._calls import CHUNK, SCRATCH, Gate
from ._util import int_arg
from .types import Attr

if TYPE_CHECKING:
    from ._mount import Mount
    from .client import Client

__all__ = ["DingoFile", "parse_mode"]

#: read(n) up to this size allocates n bytes at once without asking for the file size
#: (larger reads allocate at most what is left of the file).
_DIRECT_READ = 1024 * 1024
#: First chunk size of readline().
_LINE_CHUNK = 8 * 1024

_CLOSED_MSG = "I/O operation on closed file."


def _closed_value_error() -> BaseException:
    """The error of a call on a closed file, as :mod:`io` raises it."""
    return ValueError(_CLOSED_MSG)


class _Mode:
    __slots__ = ("creating", "reading", "writing", "appending", "updating", "text", "binary",
                 "read_only", "normalised", "oflags")

    def __init__(self) -> None:
        self.creating = self.reading = self.writing = self.appending = False
        self.updating = self.text = self.binary = self.read_only = False
        self.normalised = ""
        #: ``open(2)`` flags of the mode (filled in by the first ``Client.open``; -1 until then).
        self.oflags = -1


#: Parsed valid mode strings (there are only a few hundred; never mutated once made).
_MODES: dict[str, _Mode] = {}


def parse_mode(mode: Any) -> _Mode:
    """Validate a mode string the way ``builtins.open`` does.

    :raises TypeError: when ``mode`` is not a ``str``.
    :raises ValueError: for an invalid mode.
    """
    if type(mode) is str:
        m = _MODES.get(mode)
        if m is not None:
            return m
    if not isinstance(mode, str):
        raise TypeError(f"open() argument 'mode' must be str, not {type(mode).__name__}")
    m = _Mode()
    if not mode or len(set(mode)) != len(mode) or any(ch not in "rwaxb+t" for ch in mode):
        raise ValueError(f"invalid mode: {mode!r}")
    m.creating = "x" in mode
    m.reading = "r" in mode
    m.writing = "w" in mode
    m.appending = "a" in mode
    m.updating = "+" in mode
    m.text = "t" in mode
    m.binary = "b" in mode
    if m.creating + m.reading + m.writing + m.appending != 1:
        raise ValueError("must have exactly one of create/read/write/append mode")
    if m.text and m.binary:
        raise ValueError("can't have text and binary mode at once")
    m.read_only = m.reading and not m.updating
    m.normalised = normalised_mode(m)
    if type(mode) is str and len(_MODES) < 1024:
        _MODES[mode] = m
    return m


def normalised_mode(m: _Mode) -> str:
    """The mode string :class:`io.FileIO` would report (``r+b`` -> ``rb+``, ``w+`` -> ``rb+``)."""
    if m.creating:
        return "xb+" if m.updating else "xb"
    if m.appending:
        return "ab+" if m.updating else "ab"
    if m.updating:
        return "rb+"
    return "rb" if m.reading else "wb"


def check_text_args(encoding: Any, errors: Any, newline: Any) -> None:
    """Validate the text keywords before anything is opened."""
    if encoding is not None:
        if not isinstance(encoding, str):
            raise TypeError(f"open() argument 'encoding' must be str or None, not "
                            f"{type(encoding).__name__}")
        if encoding != "locale":
            codecs.lookup(encoding)
    if errors is not None and not isinstance(errors, str):
        raise TypeError(f"open() argument 'errors' must be str or None, not "
                        f"{type(errors).__name__}")
    if newline is not None:
        if not isinstance(newline, str):
            raise TypeError(f"open() argument 'newline' must be str or None, not "
                            f"{type(newline).__name__}")
        if newline not in ("", "\n", "\r", "\r\n"):
            raise ValueError(f"illegal newline value: {newline!r}")


class DingoFile(io.RawIOBase):
    """An open DingoFS file, unbuffered, with the interface of :class:`io.FileIO`.

    Made by :meth:`dingofs.Client.open`. Reads and writes go straight to the
    library without copies (any buffer object is accepted); transfers larger
    than 64 MiB are split so Ctrl-C is honoured between calls. There is no OS
    file descriptor: :meth:`fileno` raises :class:`io.UnsupportedOperation`.
    """

    # Slots for what the hot methods read: an io.RawIOBase subclass keeps its other
    # attributes in a dict that CPython reads more slowly (about 25 ns a load).
    __slots__ = ("_client", "_mount", "_s", "_fd", "_name", "_mode", "_readable", "_writable",
                 "_gate")

    def __init__(self, client: Client, mount: Mount, fd: int, name: Any, mode: str,
                 readable: bool, writable: bool) -> None:
        # io.RawIOBase has no initialiser of its own; skipping the super() call saves a
        # Python-level call on every open.
        session = mount.session
        # The client is kept alive by its files.
        self._client = client
        self._mount = mount
        self._s = session
        self._fd = fd
        self._name = name
        self._mode = mode
        self._readable = readable
        self._writable = writable
        self._gate = Gate(session, "file", _closed_value_error)
        mount.files[id(self)] = (weakref.ref(self), self._gate)

    # -- state -----------------------------------------------------------------------------
    @property
    def name(self) -> Any:
        """The path this file was opened with (``str`` or ``bytes``)."""
        return self._name

    @property
    def mode(self) -> str:
        """The mode normalised like :class:`io.FileIO` (``rb``, ``rb+``, ``wb``, ``ab+`` …)."""
        return self._mode

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the owning client was stopped)."""
        if self._gate.forked:
            return self._child_closed
        return self._gate.closed

    def _enter(self, op: str) -> None:
        self._gate.enter(op, self._name)

    def _check_open(self) -> None:
        if self._gate.closed:
            if self._gate.forked and not self._child_closed:
                self._enter("")
            raise ValueError(_CLOSED_MSG)

    def readable(self) -> bool:
        """Whether the file was opened for reading.

        :returns: True for ``r`` and ``+`` modes.
        :raises ValueError: if the file is closed.
        """
        self._check_open()
        return self._readable

    def writable(self) -> bool:
        """Whether the file was opened for writing.

        :returns: True for ``w``, ``a``, ``x`` and ``+`` modes.
        :raises ValueError: if the file is closed.
        """
        self._check_open()
        return self._writable

    def seekable(self) -> bool:
        """Whether the file supports :meth:`seek`.

        :returns: always True.
        :raises ValueError: if the file is closed.
        """
        self._check_open()
        return True

    def isatty(self) -> bool:
        """Whether the file is a terminal.

        :returns: always False.
        :raises ValueError: if the file is closed.
        """
        self._check_open()
        return False

    def fileno(self) -> int:
        """There is no OS file descriptor behind a DingoFS file.

        :returns: never.
        :raises io.UnsupportedOperation: always (as :class:`io.BytesIO` does).
        :raises ValueError: if the file is closed.
        """
        self._check_open()
        raise io.UnsupportedOperation("DingoFile has no OS file descriptor")

    def _need_read(self) -> None:
        self._check_open()
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")

    def _need_write(self) -> None:
        self._check_open()
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")

    # -- reading ---------------------------------------------------------------------------
    # The hot methods make one session call, gated in C by the file's gate (see
    # dingofs._calls.Gate), and check their arguments with exact type tests first,
    # falling back to the general checks.

    def _fill(self, cbuf: Any, nbytes: int) -> int:
        """Read until ``nbytes`` are in ``cbuf`` or end of file (the caller holds the gate)."""
        return self._s.fill(self._gate, self._fd, cbuf, nbytes, self._name)

    def _read_into_c(self, cbuf: Any, nbytes: int, *, fill: bool) -> int:
        """Read up to ``nbytes`` into ``cbuf``; with ``fill`` loop until full or EOF."""
        gate = self._gate
        gate.enter("dingofs_read", self._name)
        try:
            if fill:
                return self._fill(cbuf, nbytes)
            total = 0
            while total < nbytes:
                step = min(nbytes - total, CHUNK)
                n = self._s.read(gate, self._fd, cbuf + total, step, self._name)
                total += n
                if n < step or total >= CHUNK:
                    break
            return total
        finally:
            gate.leave()

    def readinto(self, buffer: Any) -> int:
        """Read into any writable buffer (bytearray, memoryview, numpy array …) without copies.

        :returns: the number of bytes read (0 at end of file).
        :param buffer: a writable bytes-like object; up to its length is read.
        :raises io.UnsupportedOperation: if the file is not readable.
        :raises ValueError: if the file is closed.
        """
        gate = self._gate
        if gate.closed or not self._readable:
            self._need_read()
        return self._mount.readinto(gate, self._fd, buffer, self._name)

    def read_into(self, buffer: Any, size: int = -1) -> int:
        """Upstream's name of :meth:`readinto`; ``size >= 0`` limits the bytes read.

        :param buffer: a writable bytes-like object.
        :param size: the most bytes to read (``-1``: the buffer's length).
        :returns: the number of bytes read (0 at end of file).
        :raises ValueError: if the file is closed.
        """
        if size is None or size < 0:
            return self.readinto(buffer)
        size = int_arg(size, "size")
        mv = memoryview(buffer).cast("B")
        return self.readinto(mv[:size])

    def _remaining(self) -> int:
        """Bytes between the offset and the end of file right now."""
        self._enter("dingofs_fstat")
        try:
            length = self._s.fstat_mode_size(self._fd, self._name)[1]
            pos = self._s.lseek(self._gate, self._fd, 0, self._s.k.SEEK_CUR, self._name)
        finally:
            self._gate.leave()
        return max(0, length - pos)

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all up to end of file when negative or None).

        Allocates at most ``min(size, file size - position)`` bytes for sizes
        above 1 MiB (more only if the file grows meanwhile); smaller reads
        allocate ``size`` bytes and return a trimmed copy on a short read.

        :param size: the most bytes to read; negative or ``None`` reads to the end.
        :returns: the bytes read (empty at end of file).
        :raises io.UnsupportedOperation: if the file is not readable.
        :raises ValueError: if the file is closed.
        """
        if type(size) is not int:
            size = -1 if size is None else int_arg(size, "size")
        if self._gate.closed or not self._readable:
            self._need_read()
        if size <= SCRATCH:
            if size > 0:  # one C read through a pooled buffer
                return self._mount.read_bytes(self._gate, self._fd, size, self._name)
            return self.readall() if size < 0 else b""
        want = size if size <= _DIRECT_READ else min(size, self._remaining())
        if want == 0:
            want = min(size, SCRATCH)  # probe: the file may have grown
        data = self._s.fresh(want, lambda cbuf, n: self._read_into_c(cbuf, n, fill=True))
        if len(data) == want and want < size:
            more = self._read_rest(size - want)
            if more:
                return data + more
        return data

    def _read_rest(self, limit: int, *, held: bool = False) -> bytes:
        """Read up to ``limit`` more bytes in chunks (the file grew while reading);
        ``held``: the caller already holds the gate."""
        fill: Callable[[Any, int], int]
        if held:
            fill = self._fill
        else:
            def fill(cbuf: Any, n: int) -> int:
                return self._read_into_c(cbuf, n, fill=True)
        parts = []
        s = self._s
        while limit > 0:
            step = min(limit, 1 << 20)
            data = s.fresh(step, fill)
            n = len(data)
            if n == 0:
                break
            parts.append(data)
            limit -= n
            if n < step:
                break
        return b"".join(parts)

    def readall(self) -> bytes:
        """Read everything up to end of file.

        A file that fits in one pooled 64 KiB buffer costs two C reads (data,
        then end of file) and one copy; a larger one is read into a buffer of
        exactly its remaining size (so ``read()`` of N bytes needs about N bytes).

        :returns: the bytes from the position to the end of the file.
        :raises io.UnsupportedOperation: if the file is not readable.
        :raises ValueError: if the file is closed.
        """
        if self._gate.closed or not self._readable:
            self._need_read()
        s = self._s
        gate = self._gate
        gate.enter("dingofs_read", self._name)
        try:
            scratch = s.scratch()
            got = self._fill(scratch, SCRATCH)
            if got < SCRATCH:
                data = s.unpack(scratch, got)
                s.unscratch(scratch)
                return data
            length = s.fstat_mode_size(self._fd, self._name)[1]
            pos = s.lseek(gate, self._fd, 0, s.k.SEEK_CUR, self._name)
            rest = max(0, length - pos)
            if rest == 0:
                # Exactly one buffer's worth, or the file shrank: probe for more below.
                head = s.unpack(scratch, got)
                s.unscratch(scratch)
                return head + self._read_rest(1 << 62, held=True)

            def head_then_rest(cbuf: Any, n: int) -> int:
                s.copy(cbuf, scratch, got)
                s.unscratch(scratch)
                return got + self._fill(cbuf + got, n - got)

            data = s.fresh(got + rest, head_then_rest)
            if len(data) < got + rest:
                return data
        finally:
            gate.leave()
        more = self._read_rest(1 << 62)  # the file may have grown meanwhile
        if more:
            return data + more
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (up to ``size`` bytes), fetching chunks rather than single bytes.

        :param size: the most bytes to return; negative or ``None``: no limit.
        :returns: the line with its ``\\n`` (empty at end of file).
        :raises ValueError: if the file is closed.
        """
        if size is None:
            size = -1
        size = int_arg(size, "size")
        self._need_read()
        if size == 0:
            return b""
        s, fd, k = self._s, self._fd, self._s.k
        self._enter("dingofs_pread")
        try:
            g = self._gate
            start = s.lseek(g, fd, 0, k.SEEK_CUR, self._name)
            parts = []
            got = 0
            chunk = _LINE_CHUNK
            while True:
                step = chunk if size < 0 else min(chunk, size - got)
                ba = bytearray(step)
                cbuf = s.view_out(ba)
                try:
                    n = s.pread(g, fd, cbuf, step, start + got, self._name)
                finally:
                    s.release(cbuf)
                if n == 0:
                    break
                piece = memoryview(ba)[:n]
                nl = ba.find(b"\n", 0, n)
                if nl >= 0:
                    parts.append(bytes(piece[: nl + 1]))
                    got += nl + 1
                    break
                parts.append(bytes(piece))
                got += n
                if size >= 0 and got >= size:
                    break
                chunk = min(chunk * 2, 1 << 20)
            if got:
                s.lseek(g, fd, start + got, k.SEEK_SET, self._name)
        finally:
            self._gate.leave()
        return b"".join(parts)

    def pread(self, size: int, offset: int) -> bytes:
        """Read up to ``size`` bytes at ``offset`` without moving the file position.

        :param size: the most bytes to read.
        :param offset: the position to read at.
        :returns: the bytes read (fewer at end of file).
        :raises ValueError: for a negative ``size`` or ``offset``, or a closed file.
        :raises io.UnsupportedOperation: if the file is not readable.
        """
        gate = self._gate
        if (type(size) is int and type(offset) is int and 0 < size <= SCRATCH and offset >= 0
                and self._readable):
            # The common small read: one session call (a pooled buffer).
            return self._mount.pread_bytes(gate, self._fd, size, offset, self._name)
        return self._pread_general(size, offset)

    def _pread_general(self, size: int, offset: int) -> bytes:
        """:meth:`pread` with the argument checks and reads larger than a scratch buffer."""
        if type(size) is not int or type(offset) is not int:
            size = int_arg(size, "size")
            offset = int_arg(offset, "offset")
        if size < 0:
            raise ValueError("size must be >= 0")
        if offset < 0:
            raise ValueError("offset must be >= 0")
        if self._gate.closed or not self._readable:
            self._need_read()
        if size == 0:
            return b""
        s = self._s
        gate = self._gate
        gate.enter("dingofs_pread", self._name)
        try:
            if size <= SCRATCH:
                return s.pread_bytes(gate, self._fd, size, offset, self._name)
            length = s.fstat_mode_size(self._fd, self._name)[1]
            size = min(size, max(length - offset, 0)) or min(size, SCRATCH)
            fd, name = self._fd, self._name

            def fill(cbuf: Any, want: int) -> int:
                total = 0
                while total < want:
                    step = min(want - total, CHUNK)
                    n = s.pread(gate, fd, cbuf + total, step, offset + total, name)
                    total += n
                    if n < step:
                        break
                return total

            return s.fresh(size, fill)
        finally:
            gate.leave()

    # -- writing ---------------------------------------------------------------------------
    def _write_all(self, data: Any, offset: int | None) -> int:
        """Write all of the bytes-like ``data`` (at ``offset``, or the position) through
        a C view of it, in <= 64 MiB calls."""
        s = self._s
        cbuf, n = s.view_in(data)
        try:
            if n == 0:
                return 0
            fd, name = self._fd, self._name
            op = "dingofs_write" if offset is None else "dingofs_pwrite"
            gate = self._gate
            gate.enter(op, name)
            try:
                total = 0
                while total < n:
                    step = min(n - total, CHUNK)
                    if offset is None:
                        total += s.write(gate, fd, cbuf + total, step, name)
                    else:
                        total += s.pwrite(gate, fd, cbuf + total, step, offset + total, name)
                return total
            finally:
                gate.leave()
        finally:
            s.release(cbuf)

    def write(self, data: Any) -> int:
        """Write all of ``data`` (any bytes-like object) at the file position.

        :returns: the number of bytes written.
        :param data: a bytes-like object.
        :raises TypeError: for ``str`` or another non-bytes-like object.
        :raises io.UnsupportedOperation: if the file is not writable.
        :raises ValueError: if the file is closed.
        """
        if self._gate.closed or not self._writable:
            self._need_write()
        if type(data) is bytes and 0 < len(data) <= CHUNK:
            # bytes go to C as they are (no buffer export needed).
            n = len(data)
            put = self._s.write(self._gate, self._fd, data, n, self._name)
            if put < n:
                put += self._fill_write(data, put, n)
            return put
        return self._write_all(data, None)

    def _fill_write(self, data: bytes, done: int, n: int) -> int:
        """Finish a short write of ``data`` (the caller holds the gate); returns the bytes added."""
        s = self._s
        cbuf = s.view_in(data)[0]
        try:
            total = done
            while total < n:
                total += s.write(self._gate, self._fd, cbuf + total, n - total, self._name)
        finally:
            s.release(cbuf)
        return total - done

    def pwrite(self, data: Any, offset: int) -> int:
        """Write ``data`` at ``offset`` without moving the file position.

        :param data: a bytes-like object.
        :param offset: the position to write at.
        :returns: the number of bytes written.
        :raises ValueError: for a negative ``offset``, or a closed file.
        :raises io.UnsupportedOperation: if the file is not writable.
        """
        if type(offset) is not int:
            offset = int_arg(offset, "offset")
        if offset < 0:
            raise ValueError("offset must be >= 0")
        if self._gate.closed or not self._writable:
            self._need_write()
        return self._write_all(data, offset)

    # -- position, size, durability --------------------------------------------------------
    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the file position; ``SEEK_DATA``/``SEEK_HOLE`` work where the library has them.

        :param offset: the new position, relative to ``whence``.
        :param whence: ``SEEK_SET`` (0), ``SEEK_CUR`` (1), ``SEEK_END`` (2), ``SEEK_DATA`` or
            ``SEEK_HOLE``.
        :returns: the new absolute position.
        :raises OSError: ``EINVAL`` for a negative resulting position or an unknown
            ``whence``.
        :raises ValueError: if the file is closed.
        """
        if type(offset) is not int or type(whence) is not int:
            offset = int_arg(offset, "offset")
            whence = int_arg(whence, "whence")
        gate = self._gate
        if gate.closed:
            self._check_open()
        return self._mount.lseek(gate, self._fd, offset, whence, self._name)

    def tell(self) -> int:
        """The current file position.

        :returns: the current position.
        :raises ValueError: if the file is closed.
        """
        return self.seek(0, io.SEEK_CUR)

    def truncate(self, size: int | None = None) -> int:
        """Resize the file to ``size`` (default: the current position); the position stays.

        :param size: the new size in bytes (default: the current position).
        :returns: the new size.
        :raises OSError: ``EINVAL`` for a negative size.
        :raises io.UnsupportedOperation: if the file is not writable.
        """
        self._need_write()
        if size is None:
            size = self.tell()
        size = int_arg(size, "size")
        self._enter("dingofs_ftruncate")
        try:
            self._s.ftruncate(self._fd, size, self._name)
        finally:
            self._gate.leave()
        return size

    def flush(self) -> None:
        """Publish size and times to other handles (``dingofs_flush``) for writable files."""
        self._check_open()
        if not self._writable:
            return
        self._enter("dingofs_flush")
        try:
            self._s.flush(self._fd, self._name)
        finally:
            self._gate.leave()

    def fsync(self, datasync: bool = False) -> None:
        """Make the file's data (and metadata) durable.

        :param datasync: only the data and the size (``fdatasync``).
        :raises ValueError: if the file is closed.
        """
        self._check_open()
        self._enter("dingofs_fsync")
        try:
            self._s.fsync(self._fd, bool(datasync), self._name)
        finally:
            self._gate.leave()

    def stat(self) -> Attr:
        """Attributes of the open file (``fstat``).

        :returns: the attributes of the open file.
        :raises ValueError: if the file is closed.
        """
        gate = self._gate
        if gate.closed:
            self._check_open()
        fstat = self._mount.x_fstat_attr
        if fstat is not None:
            return fstat(gate, self._fd, self._name)
        gate.enter("dingofs_fstat", self._name)
        try:
            return self._s.plain_attr("dingofs_fstat", self._fd, self._name, self._get_flags)
        finally:
            gate.leave()

    def _get_flags(self) -> int:
        """Inode flags through ``FS_IOC_GETFLAGS`` on this file (no extension needed)."""
        self._enter("dingofs_ioctl")
        try:
            return self._s.get_flags(self._fd, self._name)
        finally:
            self._gate.leave()

    def flock(self, operation: int) -> None:
        """Advisory whole-file lock: ``fcntl.LOCK_SH``/``LOCK_EX``/``LOCK_UN`` (| ``LOCK_NB``).

        :raises BlockingIOError: with ``LOCK_NB`` when another file holds a conflicting lock.
        :param operation: ``LOCK_SH``, ``LOCK_EX`` or ``LOCK_UN``, optionally ``| LOCK_NB``.
        :raises ValueError: if the file is closed.
        """
        operation = int_arg(operation, "operation")
        self._check_open()
        self._enter("dingofs_x_flock")
        try:
            self._s.x_flock(self._fd, operation, self._name)
        finally:
            self._gate.leave()

    def fallocate(self, offset: int, length: int, mode: int = 0) -> None:
        """Allocate (``mode`` 0 or ``FALLOC_FL_KEEP_SIZE``) or punch a hole in a byte range.

        :param offset: the start of the range.
        :param length: the length of the range.
        :param mode: ``0``, ``FALLOC_FL_KEEP_SIZE``, or ``FALLOC_FL_PUNCH_HOLE |
            FALLOC_FL_KEEP_SIZE``.
        :raises OSError: ``EOPNOTSUPP`` for an unsupported mode.
        :raises ValueError: if the file is closed.
        """
        offset = int_arg(offset, "offset")
        length = int_arg(length, "length")
        mode = int_arg(mode, "mode")
        self._need_write()
        self._enter("dingofs_x_fallocate")
        try:
            self._s.x_fallocate(self._fd, mode, offset, length, self._name)
        finally:
            self._gate.leave()

    # -- closing ---------------------------------------------------------------------------
    def close(self) -> None:
        """Flush and release the file; later operations raise ``ValueError``. Idempotent."""
        gate = self._gate
        if gate.closed:  # the C flag is set whenever this mirror is
            if gate.forked:
                self._child_closed = True
            return
        mount = self._mount
        mount.files.pop(id(self), None)  # unregistered: stop() no longer closes it
        try:
            # One C call shuts the file's gate (waiting for its calls in flight) and
            # closes under the client's gate: a client stopping meanwhile either waits
            # for this close or refuses it (its unmount then releases the descriptor).
            self._s.close_file(gate, mount.gate, self._fd, self._name)
        except Exception as exc:
            if getattr(exc, "errno", None) in (_errno.EBADF, _errno.ENOTCONN):
                return  # the handle already released it (umount)
            raise

    def abandon(self) -> None:
        """Mark the file closed without releasing its descriptor: for a file whose
        client stopped before the file was registered (the unmount releases it)."""
        self._gate.shut()
        self._mount.files.pop(id(self), None)

    #: In a fork child: whether the child closed its copy (the gate is closed there).
    _child_closed = False

    #: Whether a file dropped while still open warns (:class:`ResourceWarning`),
    #: as builtin files do. Files handed out by the fsspec layer close quietly,
    #: as fsspec's own files do, since readers such as pyarrow leave them to
    #: the garbage collector.
    _warn_unclosed = True

    def __del__(self) -> None:
        try:
            gate = self._gate
        except AttributeError:  # __init__ did not get that far
            return
        if gate.closed:
            return
        if not self._warn_unclosed:
            with contextlib.suppress(Exception):  # never raise from here
                self.close()
            return
        warnings.warn(f"unclosed file {self!r}", ResourceWarning, stacklevel=2, source=self)
        with contextlib.suppress(Exception):  # never raise from here
            self.close()

    def __getstate__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"mode={self._mode!r}"
        return f"<dingofs.DingoFile name={self._name!r} {state}>"


def open_wrapped(raw: DingoFile, m: _Mode, mode: str, buffering: int,
                 encoding: str | None, errors: str | None,
                 newline: str | None) -> Any:
    """Wrap ``raw`` as ``Client.open`` promises (raw, buffered or text)."""
    try:
        text = m.text or encoding is not None or errors is not None or newline is not None
        if not text:
            if buffering in (-1, 0):
                return raw
            if buffering == 1:
                warnings.warn("line buffering (buffering=1) isn't supported in binary mode, "
                              "the default buffer size will be used", RuntimeWarning,
                              stacklevel=3)
                return raw
            return _buffered(raw, m, buffering)
        size = io.DEFAULT_BUFFER_SIZE if buffering in (-1, 1) else buffering
        buffer = _buffered(raw, m, size)
        wrapper = io.TextIOWrapper(buffer, encoding, errors, newline,
                                   line_buffering=buffering == 1)
        wrapper.mode = mode  # type: ignore[misc]  # as builtins.open does
        return wrapper
    except BaseException:
        raw.close()
        raise


def _buffered(raw: DingoFile, m: _Mode, size: int) -> Any:
    if m.updating:
        return io.BufferedRandom(raw, size)
    if m.reading:
        return io.BufferedReader(raw, size)
    return io.BufferedWriter(raw, size)


def check_open_args(m: _Mode, buffering: Any, encoding: Any, errors: Any,
                    newline: Any) -> int:
    """Validate ``open()``'s arguments after the mode; returns ``buffering``."""
    if isinstance(buffering, bool) or not isinstance(buffering, int):
        raise TypeError(f"open() argument 'buffering' must be int, not "
                        f"{type(buffering).__name__}")
    text = m.text or encoding is not None or errors is not None or newline is not None
    if m.binary and encoding is not None:
        raise ValueError("binary mode doesn't take an encoding argument")
    if m.binary and errors is not None:
        raise ValueError("binary mode doesn't take an errors argument")
    if m.binary and newline is not None:
        raise ValueError("binary mode doesn't take a newline argument")
    check_text_args(encoding, errors, newline)
    if text and buffering == 0:
        raise ValueError("can't have unbuffered text I/O")
    # any negative value is the default, as io.open takes it
    return -1 if buffering < -1 else int(buffering)

