"""Helpers shared by the SCons tools in site_tools/ (site_scons/ is on sys.path under SCons)."""

import functools


def clean_errors(function):
    """Wrap an SCons action: a TinyMLError becomes one message and a failed build, with the
    action's targets removed, so a user's mistake never shows a traceback or a partial output."""

    @functools.wraps(function)
    def action(target, source, env):
        from tinyml_build.errors import TinyMLError

        try:
            status = function(target, source, env)
        except TinyMLError as exc:
            print(f"scons: *** {exc}")
            for node in target:
                node.remove()
            return 1
        return status or 0

    return action
