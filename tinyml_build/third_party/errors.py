"""Errors of the upstream-source resolver, as user-facing `TinyMLError`s."""

from tinyml_build.errors import TinyMLError


class ThirdPartyError(TinyMLError):
    """An upstream source (TFLM, CMSIS-NN, ...) cannot be resolved, fetched or imported."""


class LockError(ThirdPartyError):
    """third_party/lock.yaml is malformed."""


class MissingSourceError(ThirdPartyError):
    """A pinned dependency is neither given by path nor in the cache."""


class DigestMismatchError(ThirdPartyError):
    """A source tree's content differs from the one the lock pins."""


class FetchError(ThirdPartyError):
    """Downloading a pinned archive failed (offline, refused, truncated, HTTP error)."""
