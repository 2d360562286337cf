"""The fixed words a complaint is described with: the channel it came in by, what the customer expected.

Apart from the commands that carry them, so that a command line offering them as choices loads no dataclass.
"""

from __future__ import annotations

CHANNELS = ("phone", "email", "web", "store", "helpdesk")
# What a customer may have expected: one side of the quality gap (the other is what they received).
EXPECTATIONS = ("refund", "replacement", "repair", "apology", "explanation", "discount", "other")
