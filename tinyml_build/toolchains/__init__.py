"""Cross toolchains: find the compiler a target names, check it, and derive its flags."""
