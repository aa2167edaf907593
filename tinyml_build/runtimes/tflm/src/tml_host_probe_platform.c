/* tml_host_probe_platform.c -- the little the arena probe (tml_arena_probe.c) needs from a platform,
 * on the build machine: its console is stdout.
 *
 * Why: target=host builds no image, so its arena probe is a native program over the export's own
 * files (runtimes/tflm/host_probe.py), which use TFLM's debug_log.cc instead of the image's platform
 * glue; what that glue would give the probe -- the console and tml_tflm_log_quiet -- is here.
 */
#include <stdint.h>
#include <stdio.h>

#include "tml_platform.h"
#include "tml_tflm.h"

volatile int tml_tflm_log_quiet = 0;

void tml_platform_init(void) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* one TML-ARENA line at a time, even if the probe dies later */
}

void tml_console_write(const char *text, uint32_t n) {
  fwrite(text, 1u, (size_t)n, stdout);
}
