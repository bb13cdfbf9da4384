"""Storage: atomic writes on local disks and on S3 (a moto server on loopback), listings that stay fresh."""

import pytest

from docsynth.storage import TMP_PREFIX, Storage, parse_storage_options


class Boom(Exception):
    pass


@pytest.fixture(scope="module")
def s3():
    """(storage options, a second client) for a moto S3 server on 127.0.0.1 with bucket `bkt`."""
    s3fs = pytest.importorskip("s3fs")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = {"endpoint_url": f"http://{host}:{port}", "region_name": "us-east-1"}
    options = {"key": "testing", "secret": "testing", "client_kwargs": client}
    other = s3fs.S3FileSystem(skip_instance_cache=True, **options)  # another process's view: its own cache
    other.call_s3("create_bucket", Bucket="bkt")
    yield options, other
    server.stop()


@pytest.fixture(params=["path", "file-url", "s3"])
def store(request, tmp_path):
    if request.param == "path":
        return Storage(str(tmp_path / "c"))
    if request.param == "file-url":
        return Storage(f"file://{tmp_path}/c")
    options, _ = request.getfixturevalue("s3")
    return Storage(f"s3://bkt/{request.node.name.replace('[', '-').rstrip(']')}", **options)


def test_round_trip_listing_and_checksums(store):
    store.write_text("data/x.tar", "hello")
    store.write_bytes("top.json", b"{}")
    assert store.read_text("data/x.tar") == "hello" and store.size("data/x.tar") == 5
    assert store.sha256("data/x.tar") == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert store.ls("data") == ["x.tar"] and store.ls("missing") == []
    assert store.exists("top.json") and not store.exists("data/y.tar")
    store.remove("data/x.tar")
    store.remove("data/x.tar")  # removing what is gone is fine
    assert not store.exists("data/x.tar")


def test_failed_write_leaves_nothing(store):
    with pytest.raises(Boom):
        with store.atomic_writer("data/shard.tar") as f:
            f.write(b"x" * 1000)
            raise Boom
    assert not store.exists("data/shard.tar")
    assert store.ls("data") == []  # no temporary file either
    assert store.clean_temporaries("data") == 0  # and no open upload on S3


def test_temporaries_of_killed_writers_are_cleaned(tmp_path):
    store = Storage(str(tmp_path))
    store.write_text("data/a.tar", "done")
    (tmp_path / "data" / f"{TMP_PREFIX}b.tar.1234abcd").write_bytes(b"partial")  # what a SIGKILL leaves
    assert store.clean_temporaries("data") == 1
    assert store.ls("data") == ["a.tar"]


def test_s3_key_appears_only_on_commit_and_open_uploads_are_aborted(s3):
    options, other = s3
    store = Storage("s3://bkt/uploads", default_block_size=5 << 20, **options)
    with store.atomic_writer("data/big.tar") as f:
        f.write(b"y" * (6 << 20))  # past one 5 MiB part: a part is uploaded now
        uploads = other.call_s3("list_multipart_uploads", Bucket="bkt", Prefix="uploads/").get("Uploads", [])
        assert [u["Key"] for u in uploads] == ["uploads/data/big.tar"]
        assert not other.exists("bkt/uploads/data/big.tar")  # mid-write: invisible to readers
    assert other.cat("bkt/uploads/data/big.tar") == b"y" * (6 << 20)
    # a writer killed after uploading parts: an open multipart upload, no key
    f = other.open("bkt/uploads/data/dead.tar", "wb", autocommit=False)
    f.write(b"z" * 100)
    f.close()
    assert not other.exists("bkt/uploads/data/dead.tar")
    assert store.clean_temporaries("data") == 1
    assert other.call_s3("list_multipart_uploads", Bucket="bkt", Prefix="uploads/").get("Uploads", []) == []


def test_s3_listing_sees_other_writers(s3):
    options, other = s3
    store = Storage("s3://bkt/fresh", **options)
    store.write_text("data/a.tar", "a")
    assert store.ls("data") == ["a.tar"]  # s3fs now caches this listing
    other.pipe("bkt/fresh/data/b.tar", b"b")  # another process (a Ray worker) writes
    assert store.ls("data") == ["a.tar", "b.tar"]
    assert store.exists("data/b.tar") and store.size("data/b.tar") == 1
    other.rm("bkt/fresh/data/a.tar")
    assert not store.exists("data/a.tar")
    store.ls("data")
    other.pipe("bkt/fresh/data/c.tar", b"c")
    with store.fs.open(store.path("data/c.tar"), "rb") as f:  # direct fsspec use (the corpus reader) is fresh too
        assert f.read() == b"c"


def test_parse_storage_options():
    got = parse_storage_options(["client_kwargs.endpoint_url=http://127.0.0.1:9000", "anon=false", "key=abc", "client_kwargs.region_name=eu"])
    assert got == {"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu"}, "anon": False, "key": "abc"}
    assert parse_storage_options(["config_kwargs={\"max_pool_connections\": 4}"]) == {"config_kwargs": {"max_pool_connections": 4}}
    with pytest.raises(ValueError, match="--storage-option 'anon': expected key=value"):
        parse_storage_options(["anon"])
    with pytest.raises(ValueError, match="'key' already holds a value"):
        parse_storage_options(["key=a", "key.sub=b"])
