"""Forum benchmark at MOOC scale; see bench/forum/__main__.py."""
