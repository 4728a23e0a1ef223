"""Content-addressed blob files on disk: `<root>/<md5[:2]>/<key>`, the key `<md5>-<size>` of
`farmhand.spec.blobs`.

Blob keys are hashes, never client paths. Uploads grow in a separate folder
and are moved in with one rename after the server has checked size, MD5 and
xxh64, so a blob file is complete or absent — never half-written.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import xxhash
from farmhand.spec.blobs import parse_blob_key

_HASH_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Digest:
    """What one read of a file computes."""

    md5: str
    xxh64: str
    size: int


def digest_file(path: Path) -> Digest:
    """MD5 and xxh64 of a file in one read (call from a thread: it blocks)."""
    md5 = hashlib.md5()
    xxh = xxhash.xxh64()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_BLOCK):
            md5.update(chunk)
            xxh.update(chunk)
            size += len(chunk)
    return Digest(md5.hexdigest(), xxh.hexdigest(), size)


class BlobStore:
    """Blob files and in-progress uploads under two folders."""

    def __init__(self, blob_dir: Path, upload_dir: Path) -> None:
        self.blob_dir = blob_dir
        self.upload_dir = upload_dir
        blob_dir.mkdir(parents=True, exist_ok=True)
        upload_dir.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """Where a blob's bytes live (whether or not they are there)."""
        md5, _ = parse_blob_key(key)
        return self.blob_dir / md5[:2] / key

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def upload_path(self, upload_id: str) -> Path:
        return self.upload_dir / f"{upload_id}.part"

    def upload_size(self, upload_id: str) -> int:
        """Bytes of an upload on disk (0 when none yet)."""
        try:
            return self.upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, upload_id: str, offset: int, data: bytes) -> int:
        """Write `data` at `offset` of an upload and cut anything after it; the new size."""
        path = self.upload_path(upload_id)
        with open(path, "r+b" if path.exists() else "wb") as f:
            f.seek(offset)
            f.write(data)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
        return offset + len(data)

    def commit(self, upload_id: str, key: str) -> None:
        """Move a verified upload into place (atomic on one filesystem)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.upload_path(upload_id), target)

    def discard(self, upload_id: str) -> None:
        """Forget an upload's bytes."""
        self.upload_path(upload_id).unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
