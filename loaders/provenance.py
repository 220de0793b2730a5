"""Provenance of an ingest: the files read, with size and SHA-256, hashed off the main thread."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from gainsight_db.common.errors import GsdbError

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as err:
        raise GsdbError(f"{path}: cannot read: {err.strerror}") from err
    return digest.hexdigest()


class FileLedger:
    """Records each file an ingest reads and hashes it in a background thread (hashlib releases the
    GIL, so hashing overlaps DuckDB's parsing)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gsdb-sha256")
        self._files: dict[Path, tuple[int, Future[str]] | None] = {}  # None: expected, not added yet

    def expect(self, paths) -> None:
        """Keep each file's place, in this order, for when it is added (files read in another order
        are still listed in this one)."""
        for path in paths:
            self._files.setdefault(Path(path).resolve(), None)

    def add(self, path: Path, sha256: str | None = None) -> None:
        """Record a file; `sha256`, the hash of its bytes when the reader made it as it read them
        (else it is read again and hashed here)."""
        path = Path(path).resolve()
        if self._files.get(path) is not None:
            return
        try:
            size = path.stat().st_size
        except OSError as err:
            raise GsdbError(f"{path}: cannot read: {err.strerror}") from err
        if sha256 is None:
            digest = self._pool.submit(sha256_of, path)
        else:
            digest = Future()
            digest.set_result(sha256)
        self._files[path] = (size, digest)

    def entries(self) -> list[dict[str, object]]:
        """[{path, size_bytes, sha256}] for every file added, waiting for the hashes."""
        return [
            {"path": str(path), "size_bytes": entry[0], "sha256": entry[1].result()}
            for path, entry in self._files.items() if entry is not None
        ]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "FileLedger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
