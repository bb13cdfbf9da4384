"""Where a corpus lives: a local folder or any fsspec URL (`file://`, `s3://`, `gs://`, …).

Writes are atomic, so a crash never leaves a file that looks complete:
- local disks: written under a temporary name beside the final one, fsynced, renamed, and
  the folder fsynced;
- object stores (S3, GCS): written straight to the final key with the upload left
  uncommitted (`autocommit=False`): the key appears only when the multipart upload is
  completed, and a failed write aborts the upload. A killed process leaves at most an
  incomplete multipart upload, which `clean_temporaries` aborts (and which a bucket's
  AbortIncompleteMultipartUpload lifecycle rule also reclaims);
- any other filesystem: a temporary name beside the final one, then `mv`.

Object-store clients cache listings (s3fs's `dircache`), and other processes (Ray workers)
write to the same prefix: object stores are opened with `use_listings_cache=False` (unless the
caller sets it), and metadata reads invalidate any cached listing of the path first.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from contextlib import contextmanager

import fsspec
from fsspec.implementations.local import LocalFileSystem

TMP_PREFIX = ".tmp-"
COMMIT_ON_CLOSE = {"s3", "s3a", "gs", "gcs"}  # protocols whose files support autocommit=False + commit()


class Storage:
    def __init__(self, url: str, **storage_options):
        self.url = url
        if fsspec.core.split_protocol(url)[0] in COMMIT_ON_CLOSE:
            storage_options = {"use_listings_cache": False, **storage_options}  # workers write under our feet
        self.fs, self.root = fsspec.core.url_to_fs(url, **storage_options)
        self.local = isinstance(self.fs, LocalFileSystem)
        protocols = {self.fs.protocol} if isinstance(self.fs.protocol, str) else set(self.fs.protocol)
        self.object_store = bool(protocols & COMMIT_ON_CLOSE)

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *(p for p in parts if p)])

    def _fresh(self, rel: str) -> str:
        """The full path of `rel`, with any cached listing of it dropped (other processes write here)."""
        path = self.path(rel)
        if not self.local:
            self.fs.invalidate_cache(path)
        return path

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self._fresh(rel))

    def makedirs(self, rel: str) -> None:
        if self.local:
            self.fs.makedirs(self.path(rel), exist_ok=True)

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open(self._fresh(rel), "rb") as f:
            return f.read()

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode()

    def ls(self, rel: str) -> list[str]:
        """Names (not paths) in a folder; [] when it does not exist."""
        try:
            paths = self.fs.ls(self._fresh(rel), detail=False)
        except FileNotFoundError:
            return []
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in paths)

    def remove(self, rel: str) -> None:
        if self.exists(rel):
            self.fs.rm(self.path(rel))

    @contextmanager
    def atomic_writer(self, rel: str):
        """Yields a binary file object; the file appears at `rel` only when the block succeeds."""
        if self.local:
            writer = self._local_writer
        elif self.object_store:
            writer = self._object_writer
        else:
            writer = self._moved_writer
        with writer(rel) as f:
            yield f

    def _tmp_name(self, rel: str) -> str:
        folder, _, name = rel.rpartition("/")
        tmp = f"{TMP_PREFIX}{name}.{uuid.uuid4().hex[:8]}"
        return f"{folder}/{tmp}" if folder else tmp

    @contextmanager
    def _local_writer(self, rel: str):
        tmp, folder = self._tmp_name(rel), rel.rpartition("/")[0]
        self.makedirs(folder)
        try:
            with open(self.path(tmp), "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(self.path(tmp), self.path(rel))
            _fsync_dir(self.path(folder))
        except BaseException:
            if os.path.exists(self.path(tmp)):
                os.remove(self.path(tmp))
            raise

    @contextmanager
    def _object_writer(self, rel: str):
        f = self.fs.open(self.path(rel), "wb", autocommit=False)
        try:
            yield f
            f.close()  # uploads the last part; the key is not visible yet
            f.commit()  # completes the upload: the key appears whole
        except BaseException:
            f.discard()  # aborts the multipart upload; nothing appears
            f.closed = True  # nothing left to flush
            raise
        finally:
            self.fs.invalidate_cache(self.path(rel))

    @contextmanager
    def _moved_writer(self, rel: str):
        tmp = self._tmp_name(rel)
        try:
            with self.fs.open(self.path(tmp), "wb") as f:
                yield f
            self.fs.mv(self.path(tmp), self.path(rel))
        except BaseException:
            if self.fs.exists(self.path(tmp)):
                self.fs.rm(self.path(tmp))
            raise

    def clean_temporaries(self, rel: str) -> int:
        """Remove what killed writers left in folder `rel` (temporary files, open uploads); returns how many."""
        removed = 0
        for name in self.ls(rel):
            if name.startswith(TMP_PREFIX):
                self.fs.rm(self.path(rel, name))
                removed += 1
        if self.object_store and hasattr(self.fs, "call_s3"):
            removed += self._abort_uploads(rel)
        return removed

    def _abort_uploads(self, rel: str) -> int:
        """S3: abort the incomplete multipart uploads under `rel` (left by killed writers)."""
        bucket, _, prefix = self.path(rel).partition("/")
        prefix = prefix.rstrip("/") + "/"
        uploads = self.fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=prefix).get("Uploads", [])
        for u in uploads:
            self.fs.abort_mpu(bucket, u["Key"], u["UploadId"])
        return len(uploads)

    def write_bytes(self, rel: str, data: bytes) -> None:
        with self.atomic_writer(rel) as f:
            f.write(data)

    def write_text(self, rel: str, text: str) -> None:
        # a lone surrogate (a file name that is not UTF-8, carried in a config) is written as its \\udcNN
        # escape: valid UTF-8, and in JSON the same string again once read back
        self.write_bytes(rel, text.encode("utf-8", "backslashreplace"))

    def sha256(self, rel: str) -> str:
        h = hashlib.sha256()
        with self.fs.open(self._fresh(rel), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def size(self, rel: str) -> int:
        return int(self.fs.size(self._fresh(rel)))


class HashingFile:
    """Wraps a binary file: sha256 and byte count of everything written or read through it."""

    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def write(self, b) -> int:
        self.h.update(b)
        self.n += len(b)
        return self.f.write(b)

    def read(self, size: int = -1) -> bytes:
        b = self.f.read(size)
        self.h.update(b)
        self.n += len(b)
        return b

    def drain(self) -> None:
        """Read what is left, so the digest covers the whole file."""
        while self.read(1 << 20):
            pass

    def flush(self) -> None:
        self.f.flush()

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_storage_options(items: list[str]) -> dict:
    """`--storage-option` strings -> fsspec options: `key=value`, dotted keys nest, JSON values are parsed.

    `client_kwargs.endpoint_url=http://127.0.0.1:9000` gives `{"client_kwargs": {"endpoint_url": "http://…"}}`;
    `anon=true` gives `{"anon": True}`; a value that is not JSON stays a string.
    """
    options: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            raise ValueError(f"--storage-option {item!r}: expected key=value "
                             "(dotted keys nest, e.g. client_kwargs.endpoint_url=URL)")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = options
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"--storage-option {item!r}: {part!r} already holds a value, not options")
        node[parts[-1]] = value
    return options
