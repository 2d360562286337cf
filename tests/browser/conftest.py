"""Fixtures for the browser tests: Debian's Chromium driven by its ChromeDriver, and a real survey site.

Selenium never downloads anything: the driver and the browser are named by path and SE_OFFLINE is
set, so selenium-manager has nothing to look up. A missing Chromium skips with the reason outside
CI and fails with CI=true, as a missing PostgreSQL does (``make browser`` installs it).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.site import Site, survey_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, and quiet on this closed network: without the background-networking flags Chromium
# keeps trying to reach Google's hosts and logs each refusal.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _missing() -> str | None:
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if absent:
        return f"{' and '.join(absent)} missing: run `make browser` (apt-get install -y chromium chromium-driver)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Chromium's path; skipped with the reason outside CI, a failure with CI=true."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the browser tests are required)")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def driver(chromium: Path) -> Iterator[object]:
    """One headless Chromium for the session, with a fresh empty profile and the console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory(prefix="recovery-chromium-") as profile:
        patch.setenv("SE_OFFLINE", "1")  # belt and braces: selenium-manager must not fetch a browser or driver
        options = webdriver.ChromeOptions()
        options.binary_location = str(chromium)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            yield browser
        finally:
            browser.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The daemon's app served on loopback over a real SQLite file, for every test of a module."""
    with survey_site(tmp_path_factory.mktemp("site")) as served:
        yield served


@pytest.fixture
def clock_restored(site: Site) -> Iterator[Site]:
    """The site, its clock put back afterwards for a test that moves it."""
    at = site.clock.now()
    yield site
    site.clock.set(at)
