"""The ``dingofs`` command-line tool, each command run as a subprocess."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


class Cli:
    """Runs ``python -m dingofs`` against one private embedded filesystem."""

    def __init__(self, root: Path) -> None:
        self.base = root / "base"
        self.base.mkdir()
        self.env = dict(os.environ)
        for key in ("DINGOFS_MDS_ADDRS", "DINGOFS_MOUNT_POINT", "DINGOFS_LOG_DIR"):
            self.env.pop(key, None)
        self.env["DINGOFS_BASE_DIR"] = str(self.base)
        self.env["DINGOFS_FS_NAME"] = "cli"
        # Client logs stay in the test's directory instead of piling up in /tmp.
        self.logs = root / "logs"
        self.logs.mkdir()
        self.env["DINGOFS_LOG_DIR"] = str(self.logs)
        # The filesystem the commands work on exists (only --create makes one).
        self.mount().stop()

    def mount(self, name: str = "cli", params: str = "") -> Any:
        """A client on filesystem ``name`` of this base (``params``: more of the
        address, e.g. ``&path=DIR``), its log in the test's directory."""
        import dingofs

        return dingofs.Client.build(f"local://{name}?base={self.base}{params}", name,
                                    f"/mnt/{name}", log_dir=str(self.logs))

    def __call__(self, *args: str, input: bytes | None = None, check: int | None = 0,
                 env: dict | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "dingofs", *args],
            input=input, capture_output=True, env=env or self.env, timeout=300,
        )
        if check is not None:
            assert proc.returncode == check, (
                f"dingofs {' '.join(args)} -> {proc.returncode}\n"
                f"stdout: {proc.stdout.decode(errors='replace')}\n"
                f"stderr: {proc.stderr.decode(errors='replace')}"
            )
        return proc

    def out(self, *args: str) -> str:
        return self(*args).stdout.decode()


@pytest.fixture
def cli(tmp_path):
    return Cli(tmp_path)


def _tree_digest(root: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for d in dirnames:
            out[os.path.normpath(os.path.join(rel, d))] = "dir"
        for f in filenames:
            with open(os.path.join(dirpath, f), "rb") as fh:
                out[os.path.normpath(os.path.join(rel, f))] = hashlib.sha256(fh.read()).hexdigest()
    return out


# -- status codes and messages -------------------------------------------------------
def test_missing_path_message_and_status(cli):
    proc = cli("stat", "/x", check=1)
    assert proc.stderr.decode().strip() == "dingofs: cannot stat '/x': No such file or directory"
    assert cli("cat", "/nope", check=1).stderr.decode().startswith("dingofs: cannot read '/nope'")
    assert "cannot access '/nope'" in cli("ls", "/nope", check=1).stderr.decode()


def test_usage_errors_exit_2(cli):
    assert cli(check=2).returncode == 2
    assert cli("frobnicate", check=2).returncode == 2
    assert cli("ls", "--bogus", check=2).returncode == 2
    assert cli("put", "only-one", check=2).returncode == 2
    env = dict(cli.env)
    env.pop("DINGOFS_FS_NAME")
    proc = cli("ls", "/", check=2, env=env)
    assert "filesystem name" in proc.stderr.decode()
    assert "dingofs" in cli("--help").stdout.decode()
    assert cli("--version").stdout.decode().startswith("dingofs ")


def test_python_m_and_console_entry_agree(cli):
    from dingofs.cli import main

    assert callable(main)
    assert cli("ls", "/").returncode == 0


# -- commands -----------------------------------------------------------------------
def test_mkdir_ls_and_tree(cli):
    cli("mkdir", "/a")
    cli("mkdir", "-p", "/a/b/c", "/d")
    assert "cannot create directory '/a'" in cli("mkdir", "/a", check=1).stderr.decode()
    assert cli("mkdir", "/x/y", check=1).returncode == 1
    cli("mkdir", "-m", "700", "/private")
    assert cli.out("ls").split() == ["a", "d", "private"]
    assert cli.out("ls", "dingofs://cli/a") == "b\n"
    long = cli.out("ls", "-l", "/")
    assert long.splitlines()[0].startswith("d") and " a" in long
    assert "drwx------" in long
    rec = cli.out("ls", "-R", "/a")
    assert "/a:\nb\n" in rec and "/a/b:\nc\n" in rec and "/a/b/c:\n" in rec
    tree = cli.out("tree", "/")
    assert "├── a" in tree and "└── private" in tree and "5 directories, 0 files" in tree
    assert cli.out("tree", "-L", "1", "/").endswith("3 directories, 0 files\n")


def test_put_cat_stat_get(cli, tmp_path):
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello\n")
    cli("put", str(src), "/hello.txt")
    assert cli("cat", "/hello.txt").stdout == b"hello\n"
    info = json.loads(cli.out("stat", "--json", "/hello.txt"))
    assert info["size"] == 6 and info["type"] == "regular file"
    text = cli.out("stat", "/hello.txt")
    assert "Size: 6" in text and "regular file" in text
    cli("get", "/hello.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_bytes() == b"hello\n"
    cli("mkdir", "/dir")
    cli("put", str(src), "/dir/")
    assert cli("cat", "/dir/hello.txt").stdout == b"hello\n"
    out = tmp_path / "outdir"
    out.mkdir()
    cli("get", "/dir/hello.txt", "/hello.txt", str(out))
    assert (out / "hello.txt").read_bytes() == b"hello\n"
    proc = cli("put", str(tmp_path), "/tree", check=1)
    assert "omitting directory" in proc.stderr.decode()


def test_cp_mv_rm(cli, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(os.urandom(100_000))
    cli("put", str(src), "/f")
    cli("cp", "/f", "/g")
    assert cli("cat", "/g").stdout == src.read_bytes()
    cli("mkdir", "-p", "/t/sub")
    cli("cp", "/f", "/t/sub/")
    cli("cp", "-r", "/t", "/t2")
    assert cli("cat", "/t2/sub/f").stdout == src.read_bytes()
    assert cli("cp", "/t", "/t3", check=1).returncode == 1
    cli("mv", "/g", "/h")
    assert cli.out("ls", "/").split() == ["f", "h", "t", "t2"]
    cli("mv", "/h", "/t")
    assert cli.out("ls", "/t").split() == ["h", "sub"]
    proc = cli("mv", "/none", "/z", check=1)
    assert proc.stderr.decode().startswith("dingofs: cannot move '/none' to '/z'")
    proc = cli("rm", "/t", check=1)
    assert "cannot remove '/t': Is a directory" in proc.stderr.decode()
    cli("rm", "-r", "/t", "/t2")
    cli("rm", "/f")
    assert cli("rm", "/f", check=1).returncode == 1
    cli("rm", "-f", "/f")
    assert cli.out("ls", "/") == ""


def test_du_df(cli, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_bytes(b"x" * 1000)
    (tmp_path / "d" / "s").mkdir()
    (tmp_path / "d" / "s" / "b").write_bytes(b"y" * 500)
    cli("put", "-r", str(tmp_path / "d"), "/d")
    lines = cli.out("du", "/d").splitlines()
    assert lines == ["500\t/d/s", "1500\t/d"]
    assert cli.out("du", "-s", "/d") == "1500\t/d\n"
    assert cli.out("du", "-s", "-H", "/d") == "1.5K\t/d\n"
    df = cli.out("df").splitlines()
    assert df[0].split()[0] == "Filesystem" and df[1].split()[0] == "cli"
    used = int(df[1].split()[2])
    assert used >= 1500
    assert "%" in cli.out("df", "-H")


def test_xattr(cli):
    cli("mkdir", "/x")
    cli("xattr", "set", "/x", "user.color", "blue")
    assert cli.out("xattr", "get", "/x", "user.color") == "blue\n"
    assert cli.out("xattr", "list", "/x") == "user.color\n"
    cli("xattr", "rm", "/x", "user.color")
    assert cli.out("xattr", "list", "/x") == ""
    proc = cli("xattr", "get", "/x", "user.color", check=1)
    assert proc.stderr.decode().startswith("dingofs: cannot get attribute of '/x'")
    assert cli("xattr", "frob", "/x", check=2).returncode == 2


def test_fsck(cli):
    cli("mkdir", "/made")
    proc = cli("fsck")
    assert "cli: 0 problems found" in proc.stdout.decode()
    proc = cli("fsck", "--repair", "cli")
    assert "0 problems found" in proc.stdout.decode()
    proc = cli("fsck", "--mds-addrs", "127.0.0.1:6700", check=2)
    assert "local://" in proc.stderr.decode()


def test_options(cli):
    lines = cli.out("options").splitlines()
    assert lines and any(line.startswith("vfs_meta_rpc_timeout_ms") for line in lines)
    item = json.loads(cli.out("options", "--json").splitlines()[0])
    assert set(item) == {"name", "type", "default", "description"}
    assert cli.out("options", "vfs_meta_rpc_timeout_ms").startswith("vfs_meta_rpc_timeout_ms=")
    assert cli("options", "no_such_option_x", check=1).returncode == 1
    assert cli("options", "--set", "novalue", check=2).returncode == 2


def test_local_list_and_rm(cli):
    assert [ln.split("\t")[0] for ln in cli.out("local", "list").splitlines()] == ["cli"]
    cli("mkdir", "/m")
    cli("mkdir", "/m", "--fs-name", "second", "--create")
    names = [line.split("\t")[0] for line in cli.out("local", "list").splitlines()]
    assert names == ["cli", "second"]
    cli("local", "rm", "second")
    assert not (cli.base / "meta" / "second").exists()
    assert not (cli.base / "data" / "second").exists()
    assert [ln.split("\t")[0] for ln in cli.out("local", "list").splitlines()] == ["cli"]
    proc = cli("local", "rm", "second", check=1)
    assert "cannot remove 'second'" in proc.stderr.decode()
    assert cli("local", "rm", "../etc", check=1).returncode == 1
    other = cli.base.parent / "other-base"
    assert cli.out("local", "list", "--base-dir", str(other)) == ""


def test_local_rm_refuses_a_mounted_filesystem(cli):
    with cli.mount() as c:
        c.write_bytes("/kept", b"data")
        proc = cli("local", "rm", "cli", check=1)
        err = proc.stderr.decode()
        assert err.startswith("dingofs: cannot remove 'cli': Device or resource busy ("), err
        assert "mounted" in err
        assert c.read_bytes("/kept") == b"data"
    assert [ln.split("\t")[0] for ln in cli.out("local", "list").splitlines()] == ["cli"]
    cli("local", "rm", "cli")
    assert cli.out("local", "list") == ""


def test_local_list_and_rm_follow_a_path_data_dir(cli, tmp_path):
    data = tmp_path / "elsewhere"
    with cli.mount("far", f"&path={data}") as c:
        c.write_bytes("/big", os.urandom(1 << 20))
    sizes = dict(ln.split("\t") for ln in cli.out("local", "list").splitlines())
    assert set(sizes) == {"cli", "far"}
    assert int(sizes["far"]) >= 1 << 20  # its data, outside the base, counts
    assert cli.out("local", "list", "-H").count("\n") == 2
    cli("local", "rm", "far")
    assert not data.exists()
    assert not (cli.base / "meta" / "far").exists()


def test_local_commands_need_the_embedded_engine(cli, monkeypatch, capsys):
    env = dict(cli.env, DINGOFS_DISABLE_BUNDLED="1")
    for args in (["local", "list"], ["local", "rm", "cli"]):
        proc = cli(*args, check=None, env=env)
        err = proc.stderr.decode()
        if "_bridge_sys" in err or proc.returncode == 0:
            continue  # an installation with a system bridge: checked below
        assert proc.returncode == 1, err
        assert "need the embedded engine" in err, err
    if not (cli.base / "meta" / "cli").is_dir():
        # A system bridge that is this project's engine served `local rm`: make the
        # filesystem again, so the check below sees that nothing removes it.

        cli.mount().stop()
    # only a library that is not the engine (the upstream client) loaded
    from types import SimpleNamespace

    from dingofs import _ffi
    from dingofs import cli as cli_mod

    upstream = SimpleNamespace(embedded=False, module_name="dingofs._bridge_sys",
                               implementation="upstream", name="system")
    monkeypatch.setattr(_ffi, "_BACKENDS", [upstream])
    for args in (["local", "list"], ["local", "rm", "cli"]):
        assert cli_mod.main(args) == 1
        err = capsys.readouterr().err
        assert err.startswith("dingofs: embedded (local://) filesystems need the embedded "
                              "engine, which is not loaded: local:// addresses are served by "
                              "the embedded engine"), err
    assert (cli.base / "meta" / "cli").is_dir()


def test_bench(cli):
    out = cli.out("bench", "--size", "2M", "--block", "256K", "--files", "20", "--json")
    result = json.loads(out)
    for key in ("write_MiB_s", "read_MiB_s", "create_4KiB_per_s", "stat_per_s", "unlink_per_s"):
        assert result[key] > 0
    assert cli.out("ls", "-a", "/") == ""  # the work directory is removed


def test_connection_flags(cli, tmp_path):
    env = {k: v for k, v in cli.env.items() if not k.startswith("DINGOFS_")}
    base = tmp_path / "flagbase"
    proc = cli("mkdir", "--base-dir", str(base), "--fs-name", "flagged",
               "--mount-point", "/mnt/flag", "--create", "/dir", env=env)
    assert proc.returncode == 0
    assert (base / "meta" / "flagged").is_dir()
    proc = cli("--mds-addrs", f"local://flagged?base={base}", "ls", "/", env=env)
    assert proc.stdout == b"dir\n"
    proc = cli("ls", "dingofs://flagged/", "--base-dir", str(base), env=env)
    assert proc.stdout == b"dir\n"


def test_progress_bar_when_forced(cli, tmp_path):
    src = tmp_path / "p"
    src.write_bytes(os.urandom(3 * 1024 * 1024))
    proc = cli("put", "--progress", str(src), "/p")
    assert "100.0%" in proc.stderr.decode()
    proc = cli("get", "--no-progress", "/p", str(tmp_path / "q"))
    assert proc.stderr == b""
    assert (tmp_path / "q").read_bytes() == src.read_bytes()


def _round_trip(cli, tmp_path, nfiles: int, big: int) -> None:
    src = tmp_path / "src"
    for i in range(nfiles):
        d = src / f"d{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.bin").write_bytes(os.urandom(i % 257))
    (src / "empty").mkdir()
    with open(src / "big.bin", "wb") as f:
        chunk = os.urandom(1 << 20)
        for i in range(big >> 20):
            f.write(chunk[i:] + chunk[:i])
        f.write(os.urandom(big & ((1 << 20) - 1)))
    cli("put", "-r", str(src), "/up")
    dst = tmp_path / "dst"
    cli("get", "-r", "/up", str(dst))
    assert _tree_digest(dst) == _tree_digest(src)


def test_put_get_round_trip_small(cli, tmp_path):
    _round_trip(cli, tmp_path, nfiles=100, big=20 * 1024 * 1024 + 123)


def test_put_get_round_trip_1000_files_200mib(cli, tmp_path):
    _round_trip(cli, tmp_path, nfiles=1000, big=200 * 1024 * 1024 + 7)


# -- conventions users bring from coreutils ---------------------------------------------
def test_read_commands_never_create_a_filesystem(cli):
    for args in (["ls", "dingofs://typo/"], ["stat", "dingofs://typo/x"],
                 ["cat", "dingofs://typo/x"], ["tree", "dingofs://typo/"],
                 ["du", "dingofs://typo/"], ["df", "dingofs://typo/"],
                 ["xattr", "list", "dingofs://typo/"]):
        proc = cli(*args, check=1)
        err = proc.stderr.decode()
        assert "cannot mount 'typo': no such filesystem" in err, (args, err)
        assert "--create" in err
    assert not (cli.base / "meta" / "typo").exists()
    assert [ln.split("\t")[0] for ln in cli.out("local", "list").splitlines()] == ["cli"]


def test_writing_commands_create_only_when_asked(cli):
    proc = cli("mkdir", "dingofs://new/d", check=1)
    assert "add --create to make it" in proc.stderr.decode()
    assert not (cli.base / "meta" / "new").exists()
    cli("mkdir", "--create", "dingofs://new/d")
    assert cli.out("ls", "dingofs://new/") == "d\n"
    assert cli("ls", "--create", "/", check=2).returncode == 2  # not a reading option


def _fill(cli, files: int = 0, size: int = 0) -> None:
    c = cli.mount()
    try:
        for i in range(files):
            c.write_bytes(f"/f{i:05d}-with-a-longer-name", b"")
        if size:
            c.write_bytes("/big", os.urandom(size))
    finally:
        c.stop()


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("args", [["cat", "/big"], ["get", "/big", "-"], ["ls", "/"],
                                  ["tree", "/"], ["ls", "-l", "/"]],
                         ids=lambda a: " ".join(a))
def test_closed_pipe_ends_like_coreutils(cli, args, unbuffered):
    """Piped into a reader that stops early: no message, killed by SIGPIPE (141)."""
    _fill(cli, files=4000, size=4 << 20)
    cmd = " ".join([sys.executable, "-m", "dingofs", *args])
    env = dict(cli.env, PYTHONUNBUFFERED=unbuffered)
    proc = subprocess.run(
        ["bash", "-c", f"{cmd} | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True, env=env, timeout=300)
    assert proc.stdout == b"141\n", proc.stderr.decode()
    assert proc.stderr == b""


def test_closed_pipe_from_python_returns_141(cli, monkeypatch, tmp_path):
    import signal

    from dingofs.cli import main

    _fill(cli, size=1 << 20)
    for key in ("DINGOFS_BASE_DIR", "DINGOFS_FS_NAME"):
        monkeypatch.setenv(key, cli.env[key])
    r, w = os.pipe()
    os.close(r)
    out = os.fdopen(w, "w")
    monkeypatch.setattr(sys, "stdout", out)
    old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        assert main(["cat", "/big"]) == 141
    finally:
        signal.signal(signal.SIGPIPE, old)
        monkeypatch.undo()
        out.close()


def test_dash_is_stdin_and_stdout(cli, tmp_path):
    data = os.urandom(300_000)
    cli("put", "-", "/from-stdin", input=data)
    assert cli("cat", "/from-stdin").stdout == data
    assert cli("get", "/from-stdin", "-").stdout == data
    assert not (Path.cwd() / "-").exists()
    cli("mkdir", "/dir")
    proc = cli("put", "-", "/dir", input=b"x", check=2)
    assert "usage: dingofs put" in proc.stderr.decode()


def test_df_takes_a_url(cli, tmp_path):
    cli("mkdir", "--create", "dingofs://other/d")
    out = cli.out("df", "dingofs://other/")
    assert out.splitlines()[1].split()[0] == "other"
    assert cli.out("df").splitlines()[1].split()[0] == "cli"


def test_fs_name_flag_conflicting_with_url_is_an_error(cli):
    proc = cli("ls", "--fs-name", "cli", "dingofs://other/", check=2)
    assert "names filesystem 'other' but --fs-name is 'cli'" in proc.stderr.decode()
    assert cli.out("ls", "--fs-name", "cli", "dingofs://cli/") == ""


@pytest.mark.parametrize(("args", "usage"), [
    (["put", "only-one"], "usage: dingofs put"),
    (["ls", "--bogus"], "usage: dingofs ls"),
    (["get", "x"], "usage: dingofs get"),
    (["xattr", "get", "/x"], "usage: dingofs xattr get"),
    (["mkdir", "-m", "9z", "/d"], "usage: dingofs mkdir"),
])
def test_subcommand_usage_errors_print_its_usage(cli, args, usage):
    err = cli(*args, check=2).stderr.decode()
    assert err.startswith(usage), err


def test_interrupted_put_leaves_no_partial_file(cli, tmp_path, monkeypatch):
    from dingofs import cli as cli_mod

    src = tmp_path / "src"
    src.write_bytes(os.urandom(3 * cli_mod.CHUNK // 2))
    for key in ("DINGOFS_BASE_DIR", "DINGOFS_FS_NAME"):
        monkeypatch.setenv(key, cli.env[key])
    real = cli_mod._pump

    def interrupted(src_f, write, progress):
        def write_then_interrupt(view):
            write(view)
            raise KeyboardInterrupt
        real(src_f, write_then_interrupt, progress)

    monkeypatch.setattr(cli_mod, "_pump", interrupted)
    assert cli_mod.main(["put", str(src), "/dest"]) == 130
    monkeypatch.undo()
    c = cli.mount()
    try:
        assert c.listdir("/") == []
    finally:
        c.stop()
    cli("put", str(src), "/dest")
    assert cli("cat", "/dest").stdout == src.read_bytes()


def test_cluster_mount_error_keeps_the_explanation(cli):
    proc = cli("ls", "--mds-addrs", "127.0.0.1:6700", "/", check=1)
    err = proc.stderr.decode()
    assert "Protocol not supported (" in err and "local://" in err, err
