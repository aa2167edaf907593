"""User-facing errors.

Every failure a user can cause (bad model, unknown target, unsupported op, model that does
not fit, missing toolchain) is raised as a `TinyMLError`. The CLI and SConstruct print it as
one message that says what went wrong, where, and how to fix it -- never a traceback.
"""


class TinyMLError(Exception):
    """An error the user can act on: `what` happened at `where`; `fix` says what to do."""

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class ModelError(TinyMLError):
    """The .tflite file is malformed or uses something we cannot build."""


class TargetError(TinyMLError):
    """A target description is unknown or malformed."""


class UnsupportedOpError(ModelError):
    """The model uses an operator the op inventory (or a runtime) does not provide."""


class ToolchainError(TinyMLError):
    """A compiler, emulator or other external tool is missing or unusable."""


def closest_names(name: str, candidates, limit: int = 3) -> list[str]:
    """The valid names closest to a misspelled one, for 'did you mean' hints."""
    import difflib

    candidates = sorted(candidates)
    close = difflib.get_close_matches(name, candidates, n=limit, cutoff=0.4)
    return close or candidates[:limit]
