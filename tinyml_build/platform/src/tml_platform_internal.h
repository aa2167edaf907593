/* tml_platform_internal.h -- hooks between the platform layer's own files (not for applications). */
#ifndef TML_PLATFORM_INTERNAL_H
#define TML_PLATFORM_INTERNAL_H

/* Set up the console's hardware (clocks, pins, baud rate) or state; called first by tml_platform_init(). */
void tml_console_init(void);

/* Start the cycle timer chosen by the board header. */
void tml_timer_init(void);

#endif /* TML_PLATFORM_INTERNAL_H */
