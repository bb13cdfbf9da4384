"""Where a corpus lives: a local folder or any fsspec URL (`file://`, `s3://`, …).

Writes are atomic: a file is written under a temporary name beside its final one, synced
(local disks) and renamed, so a crash never leaves a file that looks complete. On object
stores the final key appears only once the upload has completed, which gives the same
guarantee.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from contextlib import contextmanager

import fsspec
from fsspec.implementations.local import LocalFileSystem

TMP_PREFIX = ".tmp-"


class Storage:
    def __init__(self, url: str, **storage_options):
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url, **storage_options)
        self.local = isinstance(self.fs, LocalFileSystem)

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self.path(rel))

    def makedirs(self, rel: str) -> None:
        if self.local:
            self.fs.makedirs(self.path(rel), exist_ok=True)

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open(self.path(rel), "rb") as f:
            return f.read()

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode()

    def ls(self, rel: str) -> list[str]:
        """Names (not paths) in a folder; [] when it does not exist."""
        try:
            return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.path(rel), detail=False))
        except FileNotFoundError:
            return []

    def remove(self, rel: str) -> None:
        if self.fs.exists(self.path(rel)):
            self.fs.rm(self.path(rel))

    @contextmanager
    def atomic_writer(self, rel: str):
        """Yields a binary file object; the file appears at `rel` only when the block succeeds."""
        folder, _, name = rel.rpartition("/")
        tmp = f"{folder}/{TMP_PREFIX}{name}.{uuid.uuid4().hex[:8]}" if folder else f"{TMP_PREFIX}{name}.{uuid.uuid4().hex[:8]}"
        self.makedirs(folder)
        try:
            with self.fs.open(self.path(tmp), "wb") as f:
                yield f
                if self.local:
                    f.flush()
                    os.fsync(f.fileno())
            self.fs.mv(self.path(tmp), self.path(rel))
            if self.local:
                _fsync_dir(self.path(folder) if folder else self.root)
        except BaseException:
            if self.fs.exists(self.path(tmp)):
                self.fs.rm(self.path(tmp))
            raise

    def write_bytes(self, rel: str, data: bytes) -> None:
        with self.atomic_writer(rel) as f:
            f.write(data)

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode())

    def sha256(self, rel: str) -> str:
        h = hashlib.sha256()
        with self.fs.open(self.path(rel), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def size(self, rel: str) -> int:
        return int(self.fs.size(self.path(rel)))


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
