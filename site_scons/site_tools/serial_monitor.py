"""SCons tool: the `monitor` alias -- capture the board's console run from port= into monitor.log.

The capture (pyserial, until the TML-RESULT line) is tinyml_build.verification.serial_monitor; the log
is what `cycles measured=...monitor.log` reads the board's cycle counts from.
"""

from SCons.Script import Action

from tinyml_scons import clean_errors, label, say


@clean_errors
def _monitor_action(target, source, env):
    from tinyml_build.escape import terminal
    from tinyml_build.verification.serial_monitor import capture

    port, baud = env["TML_MONITOR_PORT"], int(env["TML_MONITOR_BAUD"])
    say(terminal(f"tinyml_build: reading {port} at {baud} baud until TML-RESULT: reset the board now"))
    text = capture(port, baud, str(target[0]))
    print(terminal(text, keep_newlines=True), end="" if text.endswith("\n") else "\n")
    return 0


def SerialMonitor(env, out_dir, image, port, baud):
    """monitor.log from the board's serial port; always runs when asked for, after the image is built."""
    node = env.Command(f"{out_dir}/monitor.log", image, Action(_monitor_action, label("MON", "$TARGET")),
                       TML_MONITOR_PORT=port, TML_MONITOR_BAUD=str(baud))
    env.AlwaysBuild(node)
    env.NoCache(node)
    return env.Alias("monitor", node)


def generate(env):
    env.AddMethod(SerialMonitor)


def exists(env):
    return True
