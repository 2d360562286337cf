"""The admin CLI: one module per noun, each command parses, calls the engine once, prints."""
