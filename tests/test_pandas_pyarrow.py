"""pandas and pyarrow reading and writing through ``dingofs://`` URLs."""
from __future__ import annotations

import pytest

pytest.importorskip("fsspec")
pd = pytest.importorskip("pandas")

import fsspec  # noqa: E402

from dingofs.fsspec import DingoFileSystem  # noqa: E402

if "dingofs" not in fsspec.registry:  # before the package metadata names the entry point
    fsspec.register_implementation("dingofs", DingoFileSystem, clobber=False)


@pytest.fixture
def opts(factory):
    """storage_options reaching a private filesystem ``pd``."""
    yield {"mds_addrs": factory.url("pd")}
    marker = f"base={factory.base}"
    for key, inst in list(DingoFileSystem._cache.items()):
        if inst.settings is not None and marker in inst.settings.mds_addrs:
            DingoFileSystem._cache.pop(key, None)
            inst.close()


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "id": list(range(1000)),
            "name": [f"row-{i}" for i in range(1000)],
            "value": [i * 0.5 for i in range(1000)],
        }
    )


def test_csv_round_trip(opts, frame):
    url = "dingofs://pd/tables/data.csv"
    frame.to_csv(url, index=False, storage_options=opts)
    back = pd.read_csv(url, storage_options=opts)
    pd.testing.assert_frame_equal(back, frame)
    fs, path = fsspec.core.url_to_fs(url, **opts)
    assert fs.cat_file(path).startswith(b"id,name,value\n0,row-0,0.0\n")


def test_csv_compressed_round_trip(opts, frame):
    url = "dingofs://pd/tables/data.csv.gz"
    frame.to_csv(url, index=False, storage_options=opts, compression="gzip")
    back = pd.read_csv(url, storage_options=opts, compression="gzip")
    pd.testing.assert_frame_equal(back, frame)


def test_parquet_through_pandas(opts, frame):
    pytest.importorskip("pyarrow")
    url = "dingofs://pd/tables/data.parquet"
    frame.to_parquet(url, engine="pyarrow", storage_options=opts)
    back = pd.read_parquet(url, engine="pyarrow", storage_options=opts)
    pd.testing.assert_frame_equal(back, frame)


def test_parquet_through_pyarrow_filesystem(opts, frame):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    fs, path = fsspec.core.url_to_fs("dingofs://pd/arrow/t.parquet", **opts)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fs.makedirs("/arrow", exist_ok=True)
    pq.write_table(table, path, filesystem=fs, row_group_size=100)
    assert fs.info(path)["size"] > 0
    back = pq.read_table(path, filesystem=fs)
    assert back.equals(table)
    pf = pq.ParquetFile(path, filesystem=fs)
    assert pf.metadata.num_row_groups == 10
    assert pf.read_row_group(3).column("id").to_pylist() == list(range(300, 400))


def test_parquet_dataset_directory(opts, frame):
    pa = pytest.importorskip("pyarrow")
    ds = pytest.importorskip("pyarrow.dataset")
    fs, _ = fsspec.core.url_to_fs("dingofs://pd/", **opts)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    import pyarrow.parquet as pq

    fs.makedirs("/ds", exist_ok=True)
    pq.write_table(table.slice(0, 500), "/ds/part-0.parquet", filesystem=fs)
    pq.write_table(table.slice(500), "/ds/part-1.parquet", filesystem=fs)
    dataset = ds.dataset("/ds", format="parquet", filesystem=fs)
    assert dataset.to_table().sort_by("id").equals(table)
