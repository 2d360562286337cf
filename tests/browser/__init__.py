"""Browser tests: the survey form in Debian's Chromium, and the same real server over plain HTTP."""
