"""`tinyml-build deps status|sync|import`: the command-line face of the resolver.

cli.py only calls `add_deps_parser`; everything about upstream sources stays in this package.
"""

import argparse
import sys

from tinyml_build.escape import terminal
from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.lock import load_lock


def add_deps_parser(sub) -> None:
    deps = sub.add_parser("deps", help="pinned upstream sources (TFLM, CMSIS-NN, ...): status, sync, import",
                          description="Manage the upstream sources pinned in third_party/lock.yaml. Builds never "
                                      "download: they use TINYML_<NAME>_PATH or the verified cache.")
    deps.add_argument("--lock", help=argparse.SUPPRESS)  # another lock file (tests, local mirrors)
    cmds = deps.add_subparsers(dest="deps_command", required=True, metavar="ACTION")

    status = cmds.add_parser("status", help="where each dependency resolves, or why it does not")
    status.add_argument("--verify", action="store_true", help="also re-hash each tree and compare with the lock")
    status.set_defaults(run=_status)

    sync = cmds.add_parser("sync", help="download the pinned archives missing from the cache (HTTPS)")
    sync.add_argument("names", nargs="*", metavar="NAME", help="only these dependencies (default: all)")
    sync.set_defaults(run=_sync)

    imp = cmds.add_parser("import", help="put a local checkout, bare git dir or archive into the cache")
    imp.add_argument("name", metavar="NAME", help="dependency name from the lock")
    imp.add_argument("path", metavar="PATH", help="checkout, bare git directory, plain directory or .tar.gz/.zip")
    imp.set_defaults(run=_import)


def _status(args) -> int:
    from tinyml_build.third_party.resolve import locate

    lock = load_lock(args.lock)
    width = max(len(n) for n in lock.names)
    missing = 0
    for dep in lock.dependencies:
        where = locate(dep)
        line = f"{dep.name:<{width}}  {dep.commit[:12]}  {where.how:<8}  "
        if where.path is None:
            missing += 1
            line += where.detail
        else:
            line += str(where.path)
            if args.verify:
                actual = tree_digest(where.path)
                line += ("  [digest ok]" if actual == dep.digest
                         else f"  [DIGEST MISMATCH: {actual}, lock pins {dep.digest}]")
        print(terminal(line))  # paths come from the environment and the command line
    if missing:
        print(f"{missing} of {len(lock.dependencies)} dependencies missing: set TINYML_<NAME>_PATH to a source "
              "tree, run `tinyml-build deps import NAME PATH` (checkout, bare git dir or archive), or run "
              "`tinyml-build deps sync` to download them over HTTPS", file=sys.stderr)
    return 1 if missing else 0


def _sync(args) -> int:
    from tinyml_build.third_party.acquire import sync

    sync(load_lock(args.lock), args.names or None, report=lambda name, what: print(terminal(f"{name}: {what}")))
    return 0


def _import(args) -> int:
    from tinyml_build.third_party.acquire import import_source

    tree = import_source(load_lock(args.lock), args.name, args.path)
    print(terminal(f"{args.name}: verified and stored in {tree}"))
    return 0
