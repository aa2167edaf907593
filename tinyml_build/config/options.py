"""Every build option, declared once: name, kind, default, help, and which builds it affects.

Why one table: the command line, `tinyml.conf` and `$TINYML_CONFIG` must read and check options the
same way; `scons -h` must show the defaults the build really uses; a misspelled option must stop the
build; and an option that cannot affect a build must say so instead of being shown as if in effect.
site_scons/site_tools/tinyml_options.py turns this table into SCons Variables; everything else
(checking, typed values, applicability) is plain Python, tested without SCons.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.analysis.op_inventory import KERNEL_CHOICES
from tinyml_build.errors import TinyMLError, closest_names
from tinyml_build.reports.fit.requirements import REQUIREMENTS
from tinyml_build.runtimes import RUNTIMES
from tinyml_build.toolchains import CHOICES as TOOLCHAIN_CHOICES

AUTO = "auto"
RUNTIME_CHOICES = (AUTO,) + RUNTIMES  # runtime=auto picks one of the runtimes

CONFIG_FILE = "tinyml.conf"
CONFIG_ENV = "TINYML_CONFIG"
CACHE_DIR_ENV = "TINYML_CACHE_DIR"

# Where an option has an effect (Option.scope).
EVERY_BUILD = "every build"
RUNTIME = "runtime"  # builds that run a model: a firmware image, or the host target's check
IMAGE = "image"  # builds that make a firmware image (its test vectors)
TEST = "test"  # `test` runs
TFLM = "tflm"  # runtime=tflm
SERIAL = "serial port"  # the `flash` alias of ESP targets and the `monitor` alias of UART targets
CYCLES = "cycles"  # the `cycles` and `report` aliases: the estimated (or measured) cycles per inference
EXPORT = "export"  # the `export` alias: the model's code as a vendorable library
AOT_IMAGE = "aot image"  # a firmware image of runtime=aot
AOT_MODELS = "aot models"  # a firmware image of runtime=aot with several models (model=a,b)
REPORT = "report"  # the `report` alias and `tinyml-build fit`: requirements the report checks

# Defaults the build and the modules that use them share (golden data, QEMU runner, tflm arena).
DEFAULT_RANDOM_VECTORS = 20  # with the edge vectors: sees a 1 %-of-inputs bug with 82 % probability
DEFAULT_SEED = 1234
DEFAULT_QEMU_TIMEOUT = 300  # seconds of host time; person_detect needs well under a minute
DEFAULT_HEADROOM = "0"

# What makes an option of each scope take effect, for the message that refuses it.
SCOPE_HINTS = {TFLM: "it applies to runtime=tflm", RUNTIME: "it applies to targets that build an image or run a test",
               IMAGE: "it applies to targets that build a firmware image",
               TEST: "it applies to `test` runs and to the tflm arena measurement",
               SERIAL: "it applies to `flash` on ESP targets and to `monitor` on targets with a UART console",
               CYCLES: "it applies to `cycles` and `report` (add one to the command line)",
               EXPORT: "it applies to `export` (add it to the command line)",
               AOT_IMAGE: "it applies to runtime=aot firmware images",
               AOT_MODELS: "it applies to runtime=aot firmware images of several models (model=a,b)",
               REPORT: "it applies to `report` and `tinyml-build fit` (add `report` to the command line)"}

_TRUE = ("1", "on", "yes", "true")
_FALSE = ("0", "off", "no", "false")


@dataclass(frozen=True)
class Option:
    name: str
    help: str
    default: str
    kind: str = "text"  # text | choice | bool | int | number (positive, may have a fraction) | path | url
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    scope: str = EVERY_BUILD
    metavar: str = ""

    def check(self, text: str) -> str:
        """The value as given, if valid for this option; TinyMLError naming the option otherwise."""
        text = str(text)
        if "\n" in text or "\r" in text or "\0" in text:
            raise self._error(text, "contains a line break or NUL", "give the value on one line")
        if self.kind == "choice":
            if text not in self.choices:
                shown = [c or "''" for c in self.choices]
                raise self._error(text, "is not a valid choice",
                                  f"use one of: {', '.join(shown)}{_closest(text, self.choices)}")
        elif self.kind == "bool":
            if text.strip().lower() not in _TRUE + _FALSE:
                raise self._error(text, "is neither on nor off", f"use {self.name}=on or {self.name}=off")
        elif self.kind == "number" and text != "":
            from tinyml_build.reports.fit.requirements import parse_requirement

            parse_requirement(self.name, text)
        elif self.kind == "url" and text != "":
            from tinyml_build.escape import web_url

            try:
                web_url(text)
            except ValueError:
                raise self._error(text, "is not a usable URL", f"give an http(s) URL of letters, digits and URL "
                                  "punctuation (no spaces, quotes, backslashes or angle brackets), e.g. "
                                  f"{self.name}=https://github.com/you/firmware") from None
        elif self.kind == "int":
            value = parse_int(self.name, text)
            if self.minimum is not None and value < self.minimum:
                raise self._error(text, f"is below {self.minimum}", f"e.g. {self.name}={self.default}")
        return text

    def _error(self, text: str, problem: str, fix: str) -> TinyMLError:
        return TinyMLError(f"{self.name}={text} {problem}", where=f"{self.name}=", fix=fix)


def _closest(text: str, choices) -> str:
    close = closest_names(text, [c for c in choices if c])
    return f" (closest: {', '.join(close)})" if close else ""


def parse_int(name: str, text: str) -> int:
    try:
        return int(str(text).strip(), 0)
    except ValueError:
        raise TinyMLError(f"{name}={text} is not a whole number", where=f"{name}=",
                          fix=f"write a number, e.g. {name}=3") from None


def parse_bool(text: str) -> bool:
    return str(text).strip().lower() in _TRUE


def _base_options() -> tuple[Option, ...]:
    return (
        Option("target", "board to build for (targets below)", "", metavar="NAME"),
        Option("model", "model name (models below) or path to a .tflite; several, comma-separated, share one image",
               "", metavar="NAME|PATH"),
        Option("runtime", "auto (tflm when its sources resolve, else aot), aot (interpreter-free C) or tflm "
               "(TFLM's MicroInterpreter)", "auto", kind="choice", choices=RUNTIME_CHOICES, scope=RUNTIME),
        Option("kernels", "kernel library of runtime=tflm; empty: the target's", "", kind="choice",
               choices=("",) + KERNEL_CHOICES, scope=TFLM),
        Option("toolchain", "compiler of the image: auto (Espressif's GCC for ESP targets when on PATH, else the "
               "target's own) or one by name", "auto", kind="choice", choices=TOOLCHAIN_CHOICES, scope=IMAGE),
        Option("port", "serial port `flash` writes the image through with esptool (ESP targets; empty: print "
               "the command only), and `monitor` captures the board's console from", "", scope=SERIAL,
               metavar="DEVICE"),
        Option("measured", "with `cycles`: a board's console log (e.g. the monitor.log of `monitor`) whose "
               "TML-TIME unit=cycles lines replace the estimate", "", kind="path", scope=CYCLES, metavar="LOG"),
        Option("export_dir", "the folder `export` writes the library to (e.g. components/tml_kws in your firmware "
               "repository); empty: <build_dir>/<target>/<model>/export/tml_<model>", "", kind="path", scope=EXPORT,
               metavar="DIR"),
        Option("export_url", "the web page an export's metadata names (Arduino's url=, library.json's homepage, "
               "idf_component.yml's url); empty: the pinned TFLM repository for runtime=tflm, none for runtime=aot",
               "", kind="url", scope=EXPORT, metavar="URL"),
        Option("export_check", "with `export`: compare the vendored tree in the export folder with what would be "
               "generated now and fail with the per-file drift, writing nothing", "off", kind="bool", scope=EXPORT),
        Option("build_dir", "output root: outputs go to <build_dir>/<target>/<model>/", "build", kind="path",
               metavar="DIR"),
        Option("cache_dir", f"share compiled objects across build folders and checkouts (also ${CACHE_DIR_ENV})", "",
               kind="path", metavar="DIR"),
        Option("verbose", "print full command lines instead of one short line per step", "off", kind="bool"),
        Option("test_vectors", "seeded random test vectors per model, besides model.yaml samples and edge vectors; "
               "0 with no samples: one fixed input, outputs not checked",
               str(DEFAULT_RANDOM_VECTORS), kind="int", minimum=0, scope=IMAGE, metavar="N"),
        Option("reference", "float .tflite of the model (empty: model.yaml's `reference:`): `test` measures the "
               "target's int8 outputs against it (test.json accuracy)", "", kind="path", scope=IMAGE,
               metavar="FILE"),
        Option("dataset", "inputs for that accuracy measurement: .npy, or .npz with `inputs` and optional "
               "`labels` (float, or already quantized); empty: model.yaml's samples", "", kind="path", scope=IMAGE,
               metavar="FILE"),
        Option("seed", "seed of the random test vectors", str(DEFAULT_SEED), kind="int", minimum=0, scope=IMAGE,
               metavar="N"),
        Option("qemu_timeout", "seconds of host time a QEMU run may take", str(DEFAULT_QEMU_TIMEOUT), kind="int",
               minimum=1, scope=TEST, metavar="S"),
        Option("arena", "auto: the tensor arena measured in QEMU (target=host export: natively); or this many "
               "bytes (too small is an error)", "auto",
               scope=TFLM, metavar="auto|BYTES"),
        Option("arena_headroom", "bytes, or N% of the measured need, that arena=auto reserves above the smallest "
               "arena that sets up", DEFAULT_HEADROOM,
               scope=TFLM, metavar="BYTES|N%"),
        Option("profile_ops", "per-op profiling image: the aot program calls tml_profile_op(i) before each op, "
               "where the QEMU instruction-mix profile splits its counts (off: images unchanged)", "off", kind="bool",
               scope=AOT_IMAGE),
        Option("tflm_log", "keep TFLM's error strings in the image (~11 KB)", "off", kind="bool", scope=TFLM),
        Option("arena_share", "one arena for all models, sized to the largest one's need (the application runs "
               "one model at a time: invoking one invalidates the others' tensors)", "off", kind="bool",
               scope=AOT_MODELS),
    ) + tuple(Option(name, f"requirement: {meaning} ({unit}); empty: model.yaml's requirements:, else none", "",
                     kind="number", scope=REPORT, metavar=unit.upper())
              for name, (unit, meaning) in REQUIREMENTS.items())


def path_option(lock_name: str) -> str:
    """The option naming an explicit upstream tree for a lock entry: cmsis-nn -> cmsis_nn_path."""
    return lock_name.replace("-", "_") + "_path"


def declared_options(lock_dependencies=None) -> tuple[Option, ...]:
    """Every option: the base table plus one <dependency>_path= per entry of third_party/lock.yaml."""
    if lock_dependencies is None:
        lock_dependencies = lock_dependencies_or_none()
    paths = tuple(Option(path_option(dep.name), f"use this {dep.name} tree instead of the verified cache "
                         f"(also TINYML_{dep.name.upper().replace('-', '_')}_PATH)", "", kind="path", scope=TFLM,
                         metavar="DIR")
                  for dep in lock_dependencies)
    return _base_options() + paths


@functools.cache
def lock_dependencies_or_none() -> tuple:
    """The lock's dependencies, or () without a readable lock (a partial checkout: runtime=auto then
    builds aot and says why)."""
    from tinyml_build.third_party.lock import load_lock

    try:
        return tuple(load_lock().dependencies)
    except TinyMLError:
        return ()


@dataclass(frozen=True)
class Given:
    """An option value the user set, and where: 'command line' or a config file's name."""

    value: str
    source: str


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_config_file(path: Path) -> dict[str, str]:
    """`name = "value"` lines (SCons Variables syntax, i.e. Python assignments) from a config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TinyMLError(f"cannot read the config file: {err}", where=str(path)) from None
    values: dict = {}
    try:
        exec(compile(text, str(path), "exec"), {"__builtins__": {}}, values)  # noqa: S102 -- SCons' own format
    except Exception as err:  # a syntax error, or anything but plain assignments
        line = getattr(err, "lineno", None)
        raise TinyMLError(f"not a valid config file: {err.__class__.__name__}: {err}",
                          where=f"{path}:{line}" if line else str(path),
                          fix='write one option per line: name = "value"') from None
    result = {}
    for key, value in values.items():
        if not isinstance(value, (str, int, bool)):
            raise TinyMLError(f"{key} must be a string or a number, got {type(value).__name__}", where=str(path),
                              fix=f'write {key} = "value"')
        result[key] = ("on" if value else "off") if isinstance(value, bool) else str(value)
    return result


def collect(command_line: dict[str, str], config_files: list[Path], options: tuple[Option, ...]) -> dict[str, Given]:
    """The options the user set (config files first, the command line wins), each checked.

    Unknown names stop the build naming the closest valid ones and where the name came from.
    """
    known = {o.name: o for o in options}
    given: dict[str, Given] = {}
    sources = [(str(f), read_config_file(f)) for f in config_files] + [("command line", dict(command_line))]
    for source, values in sources:
        for key in sorted(values):
            if key not in known:
                close = closest_names(key, known)
                hint = f"did you mean {', '.join(c + '=' for c in close)}? " if close else ""
                raise TinyMLError(f"unknown option {key}=", where=source,
                                  fix=f"{hint}`scons -h` lists every option")
            try:
                given[key] = Given(known[key].check(values[key]), source)
            except TinyMLError as err:
                err.where = source  # say where the bad value was written
                raise
    return given


@dataclass(frozen=True)
class OptionValues:
    """The checked options of one build: typed accessors plus which ones the user set."""

    values: dict[str, str]
    given: dict[str, Given]

    @classmethod
    def from_given(cls, given: dict[str, Given], options: tuple[Option, ...]) -> OptionValues:
        return cls({o.name: given[o.name].value if o.name in given else o.default for o in options}, dict(given))

    def text(self, name: str) -> str:
        return self.values[name]

    def integer(self, name: str) -> int:
        return parse_int(name, self.values[name])

    def flag(self, name: str) -> bool:
        return parse_bool(self.values[name])

    def is_given(self, name: str) -> bool:
        return name in self.given

    def path_overrides(self, lock_dependencies) -> dict[str, str]:
        """lock name -> explicit tree, from the <dependency>_path= options that are set."""
        return {dep.name: self.values[path_option(dep.name)] for dep in lock_dependencies
                if self.values.get(path_option(dep.name))}


def check_applicable(values: OptionValues, options: tuple[Option, ...], scopes: dict[str, str | None]) -> list[str]:
    """Refuse options set on the command line that cannot affect this build; return notes for ones
    set in a config file (a project-wide default is not an error when one build ignores it).

    `scopes` maps each scope to None when it applies, or to the reason it does not.
    """
    notes = []
    for option in options:
        if option.scope == EVERY_BUILD or not values.is_given(option.name):
            continue
        reason = scopes.get(option.scope)
        if reason is None:
            continue
        given = values.given[option.name]
        if option.kind == "path" and not given.value:
            continue  # an empty path option means "not set"
        shown = f"{option.name}={given.value}"
        if given.source == "command line":
            raise TinyMLError(f"{shown} has no effect on this build: {reason}", where=f"{option.name}=",
                              fix=f"drop {option.name}= ({SCOPE_HINTS[option.scope]})")
        notes.append(f"{given.source}: {shown} has no effect on this build ({reason})")
    return notes


def help_lines(options: tuple[Option, ...]) -> list[str]:
    """`scons -h` lines for the options: name=VALUE, what it does, default."""
    lines = []
    for option in options:
        metavar = option.metavar or ("|".join(c or "''" for c in option.choices) if option.kind == "choice"
                                     else "on|off" if option.kind == "bool" else "VALUE")
        default = f" (default: {option.default})" if option.default else ""
        scope = "" if option.scope == EVERY_BUILD else f" [{option.scope}]"
        lines.append(f"  {option.name}={metavar}")
        lines.append(f"      {option.help}{default}{scope}")
    return lines
