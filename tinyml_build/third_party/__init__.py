"""Pinned upstream sources (TFLM, flatbuffers, gemmlowp, ruy, CMSIS-NN, CMSIS_6, ESP-NN, esp-tflite-micro, kissfft).

The lock (third_party/lock.yaml) pins each by commit and content digest; this package loads
it, resolves each dependency to a local tree (explicit path, then cache -- never the network
during a build), and fills the cache by import or by `deps sync`. No upstream code is ever
stored in the repository.
"""

from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.errors import (
    DigestMismatchError,
    FetchError,
    LockError,
    MissingSourceError,
    ThirdPartyError,
)
from tinyml_build.third_party.lock import DEFAULT_LOCK_PATH, Dependency, Lock, load_lock
from tinyml_build.third_party.resolve import Location, locate, resolve, resolve_all

__all__ = ["DEFAULT_LOCK_PATH", "Dependency", "DigestMismatchError", "FetchError", "Location", "Lock", "LockError",
           "MissingSourceError", "ThirdPartyError", "load_lock", "locate", "resolve", "resolve_all", "tree_digest"]
