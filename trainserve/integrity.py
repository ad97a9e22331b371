"""SHA-256 of a version directory, recorded at publish and checked before loading.

TensorFlow's SECURITY.md: models are programs. The API loads only what a worker of
this service wrote, and only while its files are unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_digest(root: Path) -> str:
    """One SHA-256 over every file's relative path and contents, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()
