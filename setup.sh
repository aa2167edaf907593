#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine: installs what the build and the tests need
# (Debian packages and pinned Python packages), then runs the main job once.
# Idempotent: packages already present are not installed again.
# Usage: ./setup.sh [scons options]   (default: target=stm32f407 model=kws)
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  gcc g++ make                                                               # host target and aot tests
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib   # Cortex-M images
  qemu-system-arm                                                            # running them
  clang-format                                                               # C style check (tests/test_c_style.py)
  clang-22 llvm-22 binutils-xtensa-lx106                                     # ESP32 / ESP32-S3 (Xtensa) images
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf                       # ESP32-C3 (RISC-V) images
  qemu-system-misc                                                           # their tests (xtensa, riscv32 twins)
  libc++-22-dev                                                              # runtime=tflm on ESP targets (C++ headers for clang++-22)
  libnewlib-dev newlib-source                                                # runtime=tflm on ESP32/S3: C headers, newlib's expf source
  cmake ninja-build                                                          # building exports (tests/test_export*.py)
  chromium                                                                   # the report's HTML in a browser (tests/test_report_browser.py)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
echo "setup: installing Python packages (pinned in requirements.lock)"
"$PYTHON" -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[test]"

if [ $# -eq 0 ]; then set -- target=stm32f407 model=kws; fi
echo "setup: scons $*"
"$PYTHON" -m SCons "$@"
