"""The dashboard in a real Chromium: sign in through the link the outbox holds, then every page at desktop and
phone widths, with a full-page screenshot of each under ``var/screenshots/dashboard/``, no console error, no
sideways scrolling, and what customers wrote shown as text. The plain-HTTP checks are in test_dashboard_http.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser.dashboard_site import SCRIPT, SECRET, Dashboard, dashboard_site
from browser.test_survey_form import SCREENS, check_console, check_png, emulate, screenshot, wait_for_heading

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "dashboard"
PAGES = {
    "overview": ("/", "Overview"),
    "complaints": ("/complaints", "Complaints"),
    "overdue": ("/complaints?overdue=1&severity=high", "Complaints"),
    "at-risk": ("/customers/at-risk", "Customers at risk"),
    "winback": ("/winback", "Win-back pipeline"),
    "retention": ("/retention", "Retention"),
    "leaderboard": ("/leaderboard", "Leaderboard, 2026-11"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with dashboard_site(tmp_path_factory.mktemp("dashboard"), environ={"RECOVERY_DASHBOARD_SECRET": SECRET}) as served:
        yield served


def sign_in(driver: Any, site: Dashboard, who: str, email: str) -> None:
    """As a person would: the form, the link from the mail (here the outbox), the button; lands on the overview."""
    driver.delete_all_cookies()
    driver.get(f"{site.url}/")
    wait_for_heading(driver, "h1", "Sign in to the dashboard")  # sent there, unsigned
    field = driver.find_element(By.ID, "who")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=who]").text == "Email address or staff id"
    field.send_keys(who)
    field.submit()
    wait_for_heading(driver, "h1", "Check your email")
    driver.get(site.sign_in_url(email))
    wait_for_heading(driver, "h1", "Sign in")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(driver, "h1", "Overview")


def check_no_alert(driver: Any) -> None:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    pytest.fail(f"a script ran: alert({text!r})")


def check_fits(driver: Any, width: int) -> None:
    """No sideways scrolling of the page (wide tables scroll inside their own region); text of 14px or more."""
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    sizes = driver.execute_script(
        "return [...document.querySelectorAll('main p, main td, main th, main label, nav a')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert min(sizes) >= 14, f"text smaller than 14px: {min(sizes)}"


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", PAGES)
def test_a_lead_sees_each_page(driver: Any, site: Dashboard, name: str, screen: str) -> None:
    path, heading = PAGES[name]
    driver.get_log("browser")  # what earlier tests left
    emulate(driver, screen)
    sign_in(driver, site, "lea@example.com", "lea@example.com")
    driver.get(f"{site.url}{path}")
    wait_for_heading(driver, "h1", heading)
    check_no_alert(driver)
    assert driver.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]")
    check_fits(driver, SCREENS[screen][0])
    assert driver.find_elements(By.TAG_NAME, "script") == []
    check_png(screenshot(driver, SCREENSHOTS / f"{name}-{screen}.png"))
    check_console(driver)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_customers_script_is_shown_as_text(driver: Any, site: Dashboard, screen: str) -> None:
    driver.get_log("browser")
    emulate(driver, screen)
    sign_in(driver, site, "ann", "ann@example.com")
    listed = driver.find_element(By.TAG_NAME, "main").text
    assert SCRIPT in listed  # the overview's arrivals: the summary and the customer's name
    driver.get(f"{site.url}/complaints/{site.complaints['script']}")
    wait_for_heading(driver, "h1", f"Complaint {site.complaints['script']}: received")
    check_no_alert(driver)
    facts = driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert facts.count(SCRIPT) == 2  # the summary and the customer's name, as text
    assert driver.find_elements(By.TAG_NAME, "script") == []
    check_png(screenshot(driver, SCREENSHOTS / f"complaint-script-{screen}.png"))
    driver.get(f"{site.url}/complaints/{site.complaints['acting']}")
    wait_for_heading(driver, "h1", f"Complaint {site.complaints['acting']}: acting")
    timeline = driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
    assert f"rang {SCRIPT}" in timeline
    check_fits(driver, SCREENS[screen][0])
    check_png(screenshot(driver, SCREENSHOTS / f"complaint-timeline-{screen}.png"))
    check_console(driver)


def test_an_agent_cannot_see_another_agents_complaint(driver: Any, site: Dashboard) -> None:
    driver.get_log("browser")
    emulate(driver, "desktop")
    sign_in(driver, site, "ann@example.com", "ann@example.com")
    driver.get(f"{site.url}/complaints/{site.complaints['bobs']}")
    wait_for_heading(driver, "h1", "Not found")
    assert "parcel lost" not in driver.page_source
    check_png(screenshot(driver, SCREENSHOTS / "agent-other-complaint-404.png"))
    driver.get(f"{site.url}/complaints?search=parcel")
    wait_for_heading(driver, "h1", "Complaints")
    assert "No complaint matches" in driver.find_element(By.TAG_NAME, "main").text
    assert driver.find_elements(By.ID, "f-assignee") == []  # an agent cannot ask for someone else's
    driver.get(f"{site.url}/complaints")
    listed = driver.find_element(By.TAG_NAME, "main").text
    assert "Soup arrived cold" in listed
    assert "parcel lost" not in listed
    check_console(driver, allowed=("404",))


def test_the_keyboard_reaches_every_link_and_signs_out(driver: Any, site: Dashboard) -> None:
    driver.get_log("browser")
    emulate(driver, "desktop")
    sign_in(driver, site, "lea", "lea@example.com")
    keys = ActionChains(driver)
    keys.send_keys(Keys.TAB).perform()
    first = driver.switch_to.active_element
    assert first.text == "Skip to the content"
    seen = []
    for _ in range(15):
        keys.send_keys(Keys.TAB).perform()
        focused = driver.switch_to.active_element
        style = driver.execute_script(
            "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, parseFloat(s.outlineWidth)]", focused
        )
        assert style[0] == "solid", f"no visible focus on {focused.text!r}"
        assert style[1] >= 2
        seen.append(focused.text)
        if focused.text == "Leaderboard":
            break
    expected = ["recovery", "Sign out", "Overview", "Complaints", "At risk", "Win-back", "Retention", "Leaderboard"]
    assert seen == expected
    for _ in range(6):  # back to the sign-out button
        keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert driver.switch_to.active_element.text == "Sign out"
    keys.send_keys(Keys.ENTER).perform()
    wait_for_heading(driver, "h1", "Sign in to the dashboard")
    driver.get(f"{site.url}/")
    wait_for_heading(driver, "h1", "Sign in to the dashboard")  # the session is over
    check_console(driver)
