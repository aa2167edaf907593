"""SCons tool: what a build prints. One short line per step (`CC  path`, `LINK firmware.elf`,
`GEN kws_model.c`), numbered `[n/N]` against the steps of the requested graph; `verbose=1` prints
the full command lines instead (the link line included: the link action prints it itself).

Paths are shown relative to the project, upstream trees by their lock name (`<tflite-micro>/...`),
and every line is escaped (file names come from the user and from models).
"""

import threading

# Short labels, padded to one width so the paths line up.
LABELS = {"CCCOMSTR": "CC", "CXXCOMSTR": "CXX", "ASCOMSTR": "AS", "ASPPCOMSTR": "AS", "ARCOMSTR": "AR",
          "RANLIBCOMSTR": "RANLIB", "LINKCOMSTR": "LINK"}
MAX_LINE = 200


def label(kind: str, what: str = "$TARGET") -> str:
    """An action's short line, e.g. label('GEN') -> 'GEN  $TARGET'."""
    return f"{kind:<4} {what}"


def say(text: str) -> None:
    """Print one line of an action's own output (a report, a note), escaped for the terminal."""
    from tinyml_build.escape import terminal

    print(terminal(text), flush=True)


def echo(env):
    """Where an action that runs its own commands (the link) prints them: only in verbose builds."""
    return say if env.get("TML_VERBOSE") else None


class _Printer:
    """PRINT_CMD_LINE_FUNC: numbers each step and shortens paths."""

    def __init__(self, places, verbose: bool):
        self.places = places  # [(absolute prefix, shown as)], longest first
        self.verbose = verbose
        self.count = 0
        self.total = 0
        self.lock = threading.Lock()  # -j: steps print from several threads

    def __call__(self, text, target, source, env):
        from tinyml_build.escape import terminal

        if not self.verbose:
            for prefix, shown in self.places:
                text = text.replace(prefix, shown)
        text = terminal(text, keep_newlines=self.verbose)
        with self.lock:
            self.count += 1
            line = f"[{self.count}/{max(self.total, self.count)}] {text}"
            if not self.verbose and len(line) > MAX_LINE:
                line = line[:MAX_LINE - 3] + "..."
            print(line, flush=True)


def CountSteps(env, nodes):
    """Set N of the `[n/N]` counter: the steps (executors with an action) under `nodes`."""
    import SCons.Node.Alias

    seen, executors = set(), set()
    stack = list(env.Flatten(nodes))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.has_builder() and not isinstance(node, SCons.Node.Alias.Alias):
            executor = node.get_executor()
            if executor.get_action_list():
                executors.add(id(executor))
        stack.extend(node.children(scan=0))
    env["PRINT_CMD_LINE_FUNC"].total = len(executors)


def RequestedNodes(env, names):
    """The nodes the command line names: an alias (gen, test) or else a file or folder."""
    import SCons.Node.Alias

    nodes = []
    for name in names:
        alias = SCons.Node.Alias.default_ans.lookup(name)
        nodes.append(alias if alias is not None else env.Entry(name))
    return nodes


def DisplayPlaces(env, places):
    """Show these absolute folders by short names in step lines: [(folder, name), ...]."""
    printer = env["PRINT_CMD_LINE_FUNC"]
    for folder, name in places:
        printer.places.append((str(folder).rstrip("/") + "/", name.rstrip("/") + "/"))
    printer.places.sort(key=lambda p: -len(p[0]))


def generate(env):
    verbose = env["TML_OPTIONS"].flag("verbose") if env.get("TML_OPTIONS") else False
    project = str(env["TINYML_PROJECT_DIR"]).rstrip("/") + "/"
    printer = _Printer([(project, "")], verbose)
    env["PRINT_CMD_LINE_FUNC"] = printer
    env["TML_VERBOSE"] = verbose
    env.AddMethod(DisplayPlaces)
    env.AddMethod(CountSteps)
    env.AddMethod(RequestedNodes)
    if not verbose:
        for key, kind in LABELS.items():
            env[key] = label(kind, "$SOURCE" if kind in ("CC", "CXX", "AS") else "$TARGET")


def exists(env):
    return True
