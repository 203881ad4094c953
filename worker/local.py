"""Feeds that are files on this machine (`file:///...`): the bundled offline samples, or a feed
another tool writes to disk. Only the operator adds them (the config, `coalition feeds add`);
an OPML file or a redirect never can. The same caps as over HTTP apply, and an unchanged file
answers like a 304 (its ETag is its modification time and size), so it costs no parsing."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from worker.fetch import Fetched, FetchError, Limits


def is_local(url: str) -> bool:
    return url.lower().startswith("file:")


def absolute_file_url(url: str, base: Path) -> str:
    """`file:///abs/path` for `file:///abs/path` or `file:relative/path` (resolved against
    `base`, the config's folder): the form a local feed is stored in."""
    p = path_of(url) if url.lower().startswith("file://") else Path(unquote(url[5:]))
    p = p.expanduser()
    return (p if p.is_absolute() else base / p).resolve().as_uri()


def path_of(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise FetchError(f"{url}: not a local file URL (file:///path/to/feed.xml)")
    return Path(unquote(parts.path))


def read_local(url: str, *, limits: Limits, etag: str = "") -> Fetched:
    path = path_of(url)
    try:
        stat = path.stat()
        if not path.is_file():
            raise FetchError(f"{path}: not a file")
        tag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        if etag == tag:
            return Fetched(304, b"", {"etag": tag}, url, None)
        if stat.st_size > limits.max_bytes:
            raise FetchError(f"{path}: larger than {limits.max_bytes:,} bytes: refused")
        with path.open("rb") as f:
            body = f.read(limits.max_bytes + 1)
    except OSError as e:
        raise FetchError(f"{path}: cannot read the feed file ({e.strerror})") from e
    if len(body) > limits.max_bytes:
        raise FetchError(f"{path}: larger than {limits.max_bytes:,} bytes: refused")
    return Fetched(200, body, {"etag": tag}, url, None)
