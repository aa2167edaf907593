"""User-facing errors.

Every failure a user can cause (bad model, unknown target, unsupported op, model that does
not fit, missing toolchain) is raised as a `TinyMLError`. The CLI and SConstruct print it as
one message that says what went wrong, where, and how to fix it -- never a traceback.
"""


class TinyMLError(Exception):
    """An error the user can act on: `what` happened at `where`; `fix` says what to do.

    `what`, `where` and `fix` are one line each: they quote model strings, file names and option
    values, so they are printed escaped, newlines included (a name cannot start a line of its own).
    Text that has lines of its own -- a tool's output, a list -- goes in `details` (a string, split
    into its lines, or a sequence of lines), printed under the message, each line escaped.
    """

    def __init__(self, what: str, where: str | None = None, fix: str | None = None, details=None):
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix
        self.details = details

    @property
    def detail_lines(self) -> list[str]:
        if not self.details:
            return []
        if isinstance(self.details, str):
            return self.details.rstrip("\n").split("\n")
        return [str(line) for line in self.details]

    def __str__(self) -> str:
        from tinyml_build.escape import terminal

        text = terminal(self.what)
        if self.where:
            text = f"{terminal(self.where)}: {text}"
        for line in self.detail_lines:
            text += f"\n{terminal(line)}"
        if self.fix:
            text += f"\n  fix: {terminal(self.fix)}"
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
    """The valid names close to a misspelled one, best first; empty when none is close (then a
    message lists the valid names instead of calling unrelated ones 'closest')."""
    import difflib

    return difflib.get_close_matches(str(name), sorted(str(c) for c in candidates), n=limit, cutoff=0.6)


def suggest(name: str, candidates, noun: str = "valid names") -> str:
    """'closest: a, b' when some candidates are close to `name`, else '<noun>: every candidate'."""
    close = closest_names(name, candidates)
    if close:
        return f"closest: {', '.join(close)}"
    return f"{noun}: {', '.join(sorted(str(c) for c in candidates)) or 'none'}"
