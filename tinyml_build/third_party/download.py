"""Downloading a pinned archive over HTTPS into a file (only `tinyml-build deps sync` does this).

The caller gives a temporary path; a failure raises `FetchError` and the caller's staging
directory takes the partial file with it, so the cache never sees half a download.
"""

import http.client
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tinyml_build.third_party.errors import FetchError
from tinyml_build.third_party.lock import is_loopback_host

_CHUNK = 1 << 16
TIMEOUT_S = 60


def download(url: str, dest: Path, fix: str, timeout: float = TIMEOUT_S) -> int:
    """Write the body at `url` to `dest`; return its size. `fix` is the advice on failure."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})
                                         if is_loopback_host(urlsplit(url).hostname or "")
                                         else urllib.request.ProxyHandler())
    received = 0
    try:
        with opener.open(urllib.request.Request(url, headers={"User-Agent": "tinyml-build"}), timeout=timeout) as r:
            expected = r.headers.get("Content-Length")
            with open(dest, "wb") as out:
                while chunk := r.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"download failed: HTTP {exc.code} {exc.reason}", where=url, fix=fix) from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot connect: {_reason(exc.reason)}", where=url, fix=fix) from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"download interrupted after {received + len(exc.partial)} bytes", where=url,
                         fix=fix) from None
    except (ConnectionError, http.client.HTTPException, TimeoutError) as exc:
        raise FetchError(f"download interrupted after {received} bytes: {_reason(exc)}", where=url, fix=fix) from None
    if expected is not None and expected.isdigit() and int(expected) != received:
        raise FetchError(f"download interrupted: got {received} of {expected} bytes", where=url, fix=fix)
    return received


def _reason(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (offline, or nothing serves that address)"
    if isinstance(reason, socket.gaierror):
        return "host name not found (offline?)"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out (offline?)"
    return str(reason) or type(reason).__name__

