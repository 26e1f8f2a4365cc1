"""One client shared by many threads; C calls release the GIL."""
from __future__ import annotations

import threading
import time

import dingofs


def test_eight_threads_one_client(client):
    n_threads, n_files = 8, 25
    errors: list = []
    barrier = threading.Barrier(n_threads)

    def work(t):
        try:
            barrier.wait()
            client.mkdir(f"/t{t}")
            for i in range(n_files):
                data = f"{t}-{i}".encode() * 100
                with client.open(f"/t{t}/f{i}", "wb") as f:
                    f.write(data)
                assert client.read_bytes(f"/t{t}/f{i}") == data
                client.setxattr(f"/t{t}/f{i}", "user.k", str(i))
            names = sorted(e.name for e in client.listdir(f"/t{t}"))
            assert names == sorted(f"f{i}" for i in range(n_files))
            for i in range(0, n_files, 2):
                client.rename(f"/t{t}/f{i}", f"/t{t}/g{i}")
                client.unlink(f"/t{t}/g{i}")
        except BaseException as e:  # noqa: BLE001
            errors.append((t, e))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    for t in range(n_threads):
        assert len(client.listdir(f"/t{t}")) == n_files // 2


def test_shared_file_concurrent_pwrite(client):
    f = client.open("/shared", "wb+")
    try:
        def work(t):
            for i in range(50):
                f.pwrite(bytes([t]) * 100, (t * 50 + i) * 100)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        data = f.pread(8 * 50 * 100, 0)
    finally:
        f.close()
    for t in range(8):
        assert data[t * 5000:(t + 1) * 5000] == bytes([t]) * 5000


def test_second_thread_progresses_during_slow_c_call(client):
    """While one thread is inside a long C write (one call of 64 MiB), another
    thread completes many calls: the GIL is released around C calls."""
    big = memoryview(bytearray(64 << 20))
    client.write_bytes("/other", b"x")
    inside = threading.Event()
    done = threading.Event()
    window = {}
    stamps: list = []

    def slow():
        with client.open("/big", "wb") as f:
            window["start"] = time.monotonic()
            inside.set()
            for _ in range(4):  # 4 C calls of 64 MiB
                f.write(big)
            window["end"] = time.monotonic()
        done.set()

    def fast():
        inside.wait()
        while not done.is_set():
            client.stat("/other")
            stamps.append(time.monotonic())

    ts = [threading.Thread(target=slow), threading.Thread(target=fast)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=300)
    during = [s for s in stamps if window["start"] < s < window["end"]]
    assert len(during) >= 10, (len(during), window["end"] - window["start"])
    assert client.stat("/big").length == 4 * (64 << 20)


def test_threads_reading_one_file_object(client):
    data = bytes(range(256)) * 4096
    client.write_bytes("/f", data)
    f = client.open("/f", "rb")
    chunks: list = []
    lock = threading.Lock()

    def work():
        while True:
            c = f.read(1000)
            if not c:
                return
            with lock:
                chunks.append(c)

    try:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        f.close()
    # every byte read exactly once (the position is protected)
    assert sum(len(c) for c in chunks) == len(data)


def test_build_in_threads(factory):
    errors: list = []
    clients: list = []
    lock = threading.Lock()

    def work(i):
        try:
            c = factory(f"fs{i}")
            c.write_bytes("/x", str(i).encode())
            with lock:
                clients.append((i, c))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i, c in clients:
        assert c.read_bytes("/x") == str(i).encode()
    assert isinstance(clients[0][1], dingofs.Client)


def test_thread_progresses_while_other_blocks_in_flock(client):
    """A thread blocked inside a C call (a blocking flock) does not stop others."""
    import fcntl
    client.write_bytes("/lock", b"")
    client.write_bytes("/other", b"")
    holder = client.open("/lock", "rb")
    holder.flock(fcntl.LOCK_EX)
    waiter = client.open("/lock", "rb")
    entered = threading.Event()
    acquired = threading.Event()

    def blocked():
        entered.set()
        waiter.flock(fcntl.LOCK_EX)  # blocks in C until the holder unlocks
        acquired.set()

    t = threading.Thread(target=blocked)
    t.start()
    try:
        entered.wait(10)
        done = 0
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            client.stat("/other")
            done += 1
        assert not acquired.is_set()
        assert done >= 20
    finally:
        holder.close()  # releases the lock
        t.join(timeout=30)
    assert acquired.is_set()
    assert not t.is_alive()
    waiter.close()
