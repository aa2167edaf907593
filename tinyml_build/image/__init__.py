"""The firmware image: what one build will do (plan), linking (link) and reading the result (elf,
linker_map)."""
