"""The pure domain core: no I/O, no database, no clock of its own."""
