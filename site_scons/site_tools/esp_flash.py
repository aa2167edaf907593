"""SCons tool: the `flash` alias of ESP targets -- print esptool's write-flash command for the image,
and with port= run it.

The command (offset per chip, `--flash-mode keep --flash-freq keep --flash-size keep` so esptool
writes the image's header bytes and digest unchanged) is decided in tinyml_build.image.esp_image.
"""

from SCons.Script import Action

from tinyml_scons import clean_errors, label, say


@clean_errors
def _flash_action(target, source, env):
    import shlex
    import subprocess
    import sys

    from tinyml_build.errors import ToolchainError
    from tinyml_build.image import esp_image

    port = env["TML_FLASH_PORT"] or None
    command = esp_image.write_flash_command(str(source[0]), env["TML_TARGET_CPU"], port=port)
    say(" ".join(shlex.quote(part) for part in command))
    if port is None:
        say("tinyml_build: pass port=<serial device> to run it (not tried on hardware by this project's tests)")
        return 0
    result = subprocess.run([sys.executable, "-m", "esptool", *command[1:]], check=False)  # the pinned esptool
    if result.returncode != 0:
        raise ToolchainError(f"esptool write-flash to {port} failed (exit status {result.returncode})",
                             where=f"port={port}", fix="check the port, the cable and the boot mode; see esptool's "
                                                       "message above")
    return 0


def FlashCommand(env, plan, binary):
    """The `flash` alias for an ESP image: always runs when asked for, after the image is built."""
    env = env.Clone(TML_FLASH_PORT=env["TML_OPTIONS"].text("port"), TML_TARGET_CPU=plan.target.cpu)
    node = env.Alias("flash", binary, Action(_flash_action, label("FLASH", "$SOURCE")))
    env.AlwaysBuild(node)
    return node


def generate(env):
    env.AddMethod(FlashCommand)


def exists(env):
    return True
