/* start.S -- entry of the RISC-V emulator twin (qemu-system-riscv32 -M virt -bios none).
 *
 * QEMU loads every segment of the ELF into the virt machine's RAM and jumps to the entry, so
 * there is nothing to copy: set the stack and global pointers, zero .bss and the tensor arena,
 * paint the stack (tml_stack.c), call main() and exit through semihosting with its status.
 */
  .section .text.tml_start, "ax"
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __tml_stack_top
  la a0, __tml_zero_table_start
  la a1, __tml_zero_table_end
1:
  bgeu a0, a1, 4f
  lw t0, 0(a0)
  lw t1, 4(a0)
  addi a0, a0, 8
2:
  bgeu t0, t1, 1b
  sw zero, 0(t0)
  addi t0, t0, 4
  j 2b
4:
  call tml_stack_paint /* the high-water mark main.c reports (tml_stack.c) */
  call main
  call tml_exit
5:
  j 5b
  .size _start, . - _start
