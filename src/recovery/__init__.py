"""recovery: every complaint walked through the five recovery steps, on time."""

__version__ = "0.1.0"
