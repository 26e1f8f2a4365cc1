"""Resource safety: no fd, handle or memory leaks; stop() during I/O."""
from __future__ import annotations

import gc
import threading
import time
import tracemalloc
import warnings

import pytest
from helpers import fd_count, local_url

import dingofs


def _cycles(client, n, path="/f"):
    for _ in range(n):
        f = client.open(path, "rb")
        f.read(4)
        f.close()


def _measure_open_close(client, n):
    client.write_bytes("/f", b"0123456789")
    _cycles(client, 200)  # warm up caches, lazily opened files and allocator pools
    gc.collect()
    fds = fd_count()
    tracemalloc.start()
    try:
        _cycles(client, 200)
        gc.collect()
        mem0 = tracemalloc.get_traced_memory()[0]
        _cycles(client, n)
        gc.collect()
        mem1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert fd_count() == fds
    # a leak of even 8 bytes per cycle would show up as n * 8
    assert mem1 - mem0 < 32 * 1024, (mem0, mem1)


def test_open_close_cycles(client):
    _measure_open_close(client, 10_000)


@pytest.mark.slow
def test_open_close_cycles_long(client):
    _measure_open_close(client, 100_000)


def test_with_open_cycles_write(client):
    client.write_bytes("/w", b"")
    for _ in range(50):
        with client.open("/w", "ab") as f:
            f.write(b"x")
    fds = fd_count()
    for _ in range(2000):
        with client.open("/w", "ab", buffering=4096) as f:
            f.write(b"x")
    assert fd_count() == fds
    assert client.stat("/w").length == 2050


def test_closed_fds_are_not_reused(client):
    """A closed DingoFile stays closed even when a new file is opened."""
    client.write_bytes("/a", b"AAAA")
    client.write_bytes("/b", b"BBBB")
    fa = client.open("/a", "rb")
    fa.close()
    fb = client.open("/b", "rb")
    with pytest.raises(ValueError):
        fa.read()
    assert fb.read() == b"BBBB"
    fb.close()


def test_forgotten_file_is_closed_with_resourcewarning(client):
    client.write_bytes("/f", b"x")
    f = client.open("/f", "rb")
    f.read()
    opened = client.stats()["ops"].get("dingofs_close", 0)
    with pytest.warns(ResourceWarning):
        del f
        gc.collect()
    assert client.stats()["ops"].get("dingofs_close", 0) == opened + 1


def test_forgotten_clients_leak_nothing(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()

    def one_round(i):
        c = dingofs.Client.build(local_url(tmp_path / "fs", f"n{i % 3}"), f"n{i % 3}",
                                 "/mnt/x", log_dir=str(logs), init_logging=False)
        c.write_bytes("/f", b"abc")
        f = c.open("/f", "rb")  # noqa: F841 - forgotten on purpose
        it = c.scandir("/")
        next(it)
        # no stop(), no close(): everything is dropped

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for i in range(6):
            one_round(i)
        gc.collect()
        fds = fd_count()
        tracemalloc.start()
        try:
            for i in range(6, 12):
                one_round(i)
            gc.collect()
            mem0 = tracemalloc.get_traced_memory()[0]
            for i in range(12, 60):
                one_round(i)
            gc.collect()
            mem1 = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    assert fd_count() == fds
    assert mem1 - mem0 < 64 * 1024, (mem0, mem1)


def test_forgotten_client_warns(tmp_path):
    c = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
    c.mkdir("/d")
    with pytest.warns(ResourceWarning):
        del c
        gc.collect()
    # the filesystem was unmounted cleanly: a new client sees the data
    c2 = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
    try:
        assert c2.isdir("/d")
    finally:
        c2.stop()


def test_stopped_client_fd_count_back(tmp_path):
    base = fd_count()
    for _ in range(3):
        c = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
        f = c.open("/f", "wb")
        f.write(b"x")
        c.stop()
        assert f.closed
    # the first mount may load things once (locale, sqlite); compare steady state
    steady = fd_count()
    for _ in range(5):
        c = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
        c.open("/f", "rb")
        c.scandir("/")
        c.stop()
    assert fd_count() == steady
    assert steady - base <= 2


def test_stop_while_threads_do_io(client):
    client.mkdir("/io")
    stop_flag = threading.Event()
    errors: list = []
    progress = [0] * 6

    def worker(i):
        try:
            f = client.open(f"/io/{i}", "wb+")
        except dingofs.ClientStoppedError:
            return
        try:
            while not stop_flag.is_set():
                try:
                    f.write(b"x" * 65536)
                    f.seek(0)
                    f.read(65536)
                    client.stat(f"/io/{i}")
                    client.listdir("/io")
                    progress[i] += 1
                except dingofs.ClientStoppedError:
                    return
                except ValueError as e:  # file closed by stop()
                    if "closed file" not in str(e):
                        raise
                    return
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while min(progress) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    client.stop()
    assert time.monotonic() - t0 < 20
    stop_flag.set()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads), "a thread hangs after stop()"
    assert errors == []
    assert min(progress) >= 1
    with pytest.raises(dingofs.ClientStoppedError):
        client.stat("/")


def test_file_keeps_client_alive(tmp_path):
    def make_file():
        c = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
        c.write_bytes("/f", b"still here")
        return c.open("/f", "rb")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        f = make_file()
        gc.collect()
        assert f.read() == b"still here"
        f.close()
        gc.collect()


def test_large_write_read_memory(client):
    """A whole-file read() costs about the file size, not a multiple of it."""
    size = 32 << 20
    with client.open("/big", "wb") as f:
        f.write(bytes(size))
    gc.collect()
    tracemalloc.start()
    try:
        with client.open("/big", "rb") as f:
            data = f.read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(data) == size
    assert peak < size + (4 << 20), peak


def test_large_io_split_into_64mib_calls(client):
    """One write()/read() of 129 MiB reaches C as three calls of at most 64 MiB."""
    size = (128 << 20) + 1
    data = memoryview(bytearray(size))
    ops0 = client.stats()["ops"]
    with client.open("/huge", "wb") as f:
        assert f.write(data) == size
    ops1 = client.stats()["ops"]
    assert ops1.get("dingofs_write", 0) - ops0.get("dingofs_write", 0) == 3
    buf = bytearray(size)
    with client.open("/huge", "rb") as f:
        assert f.readinto(buf) == size
    ops2 = client.stats()["ops"]
    assert ops2.get("dingofs_read", 0) - ops1.get("dingofs_read", 0) == 3


def test_stop_between_the_open_and_the_registration(client, monkeypatch):
    """A stop() that runs after the C open returned but before the new file is
    registered (where stop() would find and close it) refuses the open: the file
    is given up without a call on the stopped handle and without a warning."""
    import dingofs.client as client_module

    client.write_bytes("/racy", b"x")
    real = client_module.DingoFile
    made = []

    def stop_first(*args, **kwargs):
        client.stop()
        f = real(*args, **kwargs)
        made.append(f)
        return f

    monkeypatch.setattr(client_module, "DingoFile", stop_first)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        with pytest.raises(dingofs.ClientStoppedError):
            client.open("/racy", "rb")
        (f,) = made
        assert f.closed
        with pytest.raises(ValueError, match="closed file"):
            f.read()
        del f, made[:]
        gc.collect()
    assert client._mount.counts() == (0, 0)


def test_a_close_counts_once_however_often_and_from_however_many_threads(client):
    """``close()`` is one C call that shuts the file's gate and closes the
    descriptor: the first close counts one ``dingofs_close``; later closes, from
    this or other threads at once, count nothing, raise nothing and close no
    descriptor a newer file got."""
    client.write_bytes("/f", b"abc")

    def closes() -> int:
        return client.stats()["ops"].get("dingofs_close", 0)

    before = closes()
    f = client.open("/f", "rb")
    f.close()
    f.close()
    assert f.closed and closes() == before + 1
    for _ in range(20):
        f = client.open("/f", "rb")
        other = client.open("/f", "rb")  # may get the number f's descriptor frees
        start = threading.Barrier(4)

        def close_it(f=f, start=start):
            start.wait()
            f.close()

        threads = [threading.Thread(target=close_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert f.closed
        assert other.read() == b"abc"  # still open: no second close hit it
        other.close()
    assert closes() == before + 1 + 40


def test_a_file_closed_after_its_client_stopped_raises_nothing(tmp_path):
    c = dingofs.Client.build(local_url(tmp_path), "t", "/mnt/t", log_dir=str(tmp_path))
    c.write_bytes("/f", b"abc")
    f = c.open("/f", "rb")
    c.stop()  # closes f on the way
    assert f.closed
    f.close()
