"""What to build: targets as data (targets) and one build's checked choices (build_config)."""
