"""tml_board.h: the target's facts as C macros for the platform layer.

Why generated: register addresses, baud divisors and the timer choice are data in
targets/<name>.yaml; turning them into macros keeps the C free of per-board #ifdef trees.
"""

from tinyml_build.config.targets import Target
from tinyml_build.errors import TargetError
from tinyml_build.escape import c_comment, c_string

_UART_LAYOUTS = {
    "stm32f1-usart": "TML_UART_STM32F1",
    "stm32f4-usart": "TML_UART_STM32F4",
    "stm32-usart-isr": "TML_UART_STM32_ISR",
}


def _hex(value: int) -> str:
    return f"0x{value:08X}u"


def _memory_name(target: Target) -> str:
    region = target.model_memory
    return f"{region.name} (loaded from flash)" if target.family == "esp32" else region.name


def _esp_lines(target: Target) -> list[str]:
    """ESP32 family: the chip (the platform layer keeps its ROM and register addresses per chip),
    the ROM's UART routine as the console, and the core's cycle counter."""
    if target.console.driver != "esp-rom-uart":
        raise TargetError(f"console driver '{target.console.driver}' is not available for ESP32 firmware",
                          where=target.source or target.name, fix="use driver: esp-rom-uart")
    timers = {"ccount": "TML_TIMER_USE_CCOUNT", "mpccr": "TML_TIMER_USE_MPCCR"}
    lines = [f"#define TML_ESP_CHIP_{target.cpu.upper()} 1", "#define TML_CONSOLE_ESP_ROM_UART 1"]
    if target.cycle_timer in timers:
        lines.append(f"#define {timers[target.cycle_timer]} 1")
    return lines


def render_board_header(target: Target) -> str:
    """The text of tml_board.h for `target` (deterministic: same target, same bytes)."""
    if target.clock_hz is None:
        raise TargetError("the firmware needs clock_hz", where=target.source or target.name)
    lines = [
        f"/* tml_board.h -- generated from targets/{c_comment(target.name)}.yaml by tinyml_build. Do not edit. */",
        "#ifndef TML_BOARD_H",
        "#define TML_BOARD_H",
        "",
        f"#define TML_TARGET_NAME {c_string(target.name)}",
        f"#define TML_CLOCK_HZ {target.clock_hz}u",
        f"#define TML_HAS_FPU {1 if target.has_fpu else 0}",
        f"#define TML_TIMER_USE_DWT {1 if target.cycle_timer == 'dwt' else 0}",
        f"#define TML_TIMER_USE_NONE {1 if target.cycle_timer == 'none' else 0}",
        f"#define TML_EMULATED_ONLY {1 if target.family in ('mps2', 'mps3') else 0}",
        f"#define TML_MODEL_MEMORY {c_string(_memory_name(target))} /* where the model's constants live */",
    ]
    console = target.console
    if target.family == "esp32":
        lines += _esp_lines(target)
    elif console.is_semihosting:
        lines.append("#define TML_CONSOLE_SEMIHOSTING 1")
    elif console.is_uart:
        layout = _UART_LAYOUTS.get(console.driver or "")
        if layout is None or console.tx is None or console.clock_enable is None:
            raise TargetError(f"console driver '{console.driver}' is not available for Cortex-M firmware",
                              where=target.source or target.name,
                              fix=f"use one of: {', '.join(sorted(_UART_LAYOUTS))}")
        tx = console.tx
        lines += [
            f"#define TML_CONSOLE_UART 1 "
            f"/* {c_comment(f'{console.peripheral} {console.baud} baud, TX on P{tx.port}{tx.pin}')} */",
            f"#define {layout} 1",
            f"#define TML_UART_BASE {_hex(console.base)}",
            f"#define TML_UART_BRR {console.baud_divisor}u /* {console.clock_hz} Hz / {console.baud} baud */",
            f"#define TML_UART_CLOCK_REG {_hex(console.clock_enable.register)}",
            f"#define TML_UART_CLOCK_BIT {console.clock_enable.bit}u",
            f"#define TML_UART_TX_PORT_BASE {_hex(tx.base)}",
            f"#define TML_UART_TX_PIN {tx.pin}u",
            f"#define TML_UART_TX_AF {tx.af if tx.af is not None else 0}u",
            f"#define TML_UART_TX_CLOCK_REG {_hex(tx.clock_enable.register)}",
            f"#define TML_UART_TX_CLOCK_BIT {tx.clock_enable.bit}u",
        ]
    else:
        raise TargetError(f"console type '{console.type}' is not available for Cortex-M firmware",
                          where=target.source or target.name)
    lines += ["", "#endif /* TML_BOARD_H */", ""]
    return "\n".join(lines)
