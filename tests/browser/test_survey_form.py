"""The survey form in a real Chromium: each shipped survey, each language, desktop and phone, mouse and keyboard.

Each run fills the form a customer would, saves a full-page screenshot of the filled form and of
the thank-you page under ``var/screenshots/survey_form/``, checks the answers in the database, and
reads the browser's console for errors. The plain-HTTP checks are in test_survey_form_http.py.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser.site import SURVEYS, Site
from recovery.core.surveys import Kind, Question, Survey
from recovery.intake.survey_texts import texts

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "survey_form"
SCREENS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
# Keyboard only for these; the other runs click, as most customers do.
KEYBOARD = {("nl", "desktop"), ("de", "phone"), ("en", "phone")}
CASES = [
    pytest.param(survey, language, screen, id=f"{survey}-{language}-{screen}")
    for survey in ("follow_up", "relationship")
    for language in ("en", "nl", "de")
    for screen in SCREENS
]


def planned(survey: Survey, language: str) -> dict[str, str]:
    """What the customer answers: near the top of each scale, the second option, a sentence with markup."""
    plan = {}
    for question in survey.questions:
        if question.scale is not None:
            plan[question.key] = str(question.scale[1] - 1)
        elif question.kind is Kind.CHOICE:
            plan[question.key] = question.options[1].key
        else:
            plan[question.key] = f"{language} {question.key}: größer & <b>naïve</b> ✓"
    return plan


def stored(survey: Survey, plan: dict[str, str]) -> dict[str, int | str]:
    """The answers the database should hold for ``plan``."""
    return {q.key: int(plan[q.key]) if q.scale is not None else plan[q.key] for q in survey.questions}


@pytest.mark.parametrize(("name", "language", "screen"), CASES)
def test_a_customer_fills_and_sends_the_form(driver: Any, site: Site, name: str, language: str, screen: str) -> None:
    survey = SURVEYS[name]
    invitation = site.invite(name, language, name="Jo <i>Customer</i>")
    plan = planned(survey, language)
    width = SCREENS[screen][0]
    keyboard = (language, screen) in KEYBOARD
    driver.get_log("browser")  # what earlier tests left
    emulate(driver, screen)
    driver.get(invitation.url)
    assert driver.execute_script("return document.documentElement.lang") == language
    assert driver.find_element(By.TAG_NAME, "h1").text == survey.title[language]
    assert "Jo <i>Customer</i>" in driver.find_element(By.TAG_NAME, "main").text  # shown as text, not markup
    check_layout(driver, width)
    if keyboard:
        fill_with_keyboard(driver, survey, plan)
    else:
        fill_with_mouse(driver, survey, plan)
    stem = f"{name}-{language}-{screen}"
    check_png(screenshot(driver, SCREENSHOTS / f"{stem}-filled.png"))
    if keyboard:
        ActionChains(driver).send_keys(Keys.ENTER).perform()  # the submit button has the focus
    else:
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(driver, "h1", texts(language)["done_title"])
    check_png(screenshot(driver, SCREENSHOTS / f"{stem}-done.png"))
    assert site.answers(invitation.id) == stored(survey, plan)
    check_console(driver)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_problem_is_said_next_to_its_question_and_a_used_link_says_so(driver: Any, site: Site, screen: str) -> None:
    invitation = site.invite("follow_up", "de")
    driver.get_log("browser")
    emulate(driver, screen)
    driver.get(invitation.url)
    # As a browser without form validation would send it: the server says what the browser would have.
    driver.execute_script("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    payload = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    driver.find_element(By.ID, "q-better").send_keys(payload)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    words = texts("de")
    wait_for_heading(driver, ".summary h2", words["errors_title"])
    assert driver.find_element(By.ID, "q-satisfaction-error").text.endswith(words["error_required"])
    assert driver.find_element(By.ID, "q-better").get_attribute("value") == payload
    assert driver.find_elements(By.TAG_NAME, "img") == []
    check_png(screenshot(driver, SCREENSHOTS / f"problem-de-{screen}-errors.png"))
    driver.find_element(By.CSS_SELECTOR, "label[for='q-satisfaction-4']").click()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(driver, "h1", words["done_title"])
    assert site.answers(invitation.id) == {"satisfaction": 5, "better": payload}
    driver.get(invitation.url)
    assert driver.find_element(By.TAG_NAME, "h1").text == words["answered_title"]  # the invitation's language
    check_png(screenshot(driver, SCREENSHOTS / f"problem-de-{screen}-answered.png"))
    check_console(driver, allowed=("422", "409"))


def emulate(driver: Any, screen: str) -> None:
    """The viewport of ``screen``; a phone also gets its pixel density and mobile layout rules."""
    width, height, mobile = SCREENS[screen]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile},
    )


def wait_for_heading(driver: Any, selector: str, text: str) -> None:
    """Wait for the next page's heading; the old page's, read while it goes, may fail in any of these ways."""
    ignored = (NoSuchElementException, StaleElementReferenceException, WebDriverException)
    WebDriverWait(driver, 10, ignored_exceptions=ignored).until(
        lambda d: d.find_element(By.CSS_SELECTOR, selector).text == text
    )


def check_console(driver: Any, allowed: tuple[str, ...] = ()) -> None:
    """No error in the browser's console; ``allowed`` are statuses the test asked for (Chrome logs each 4xx)."""
    errors = [
        entry
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not any(f"status of {status}" in entry["message"] for status in allowed)
    ]
    assert errors == [], f"console errors: {errors}"


def fill_with_mouse(driver: Any, survey: Survey, plan: dict[str, str]) -> None:
    for question in survey.questions:
        value = plan[question.key]
        if question.kind is Kind.OPEN:
            driver.find_element(By.ID, f"q-{question.key}").send_keys(value)
        else:
            driver.find_element(By.CSS_SELECTOR, f"label[for='q-{question.key}-{_index(question, value)}']").click()


def fill_with_keyboard(driver: Any, survey: Survey, plan: dict[str, str]) -> None:
    """Tab from the top through every field: type the open answers, arrow or space through the radios, to the button."""
    by_name = {f"a.{q.key}": q for q in survey.questions}
    filled: set[str] = set()
    keys = ActionChains(driver)
    for _ in range(80):
        keys.send_keys(Keys.TAB).perform()
        focused = driver.switch_to.active_element
        check_focus_visible(driver, focused)
        if focused.tag_name == "button":
            break
        question = by_name.get(focused.get_attribute("name") or "")
        if question is None or question.key in filled:
            continue
        value = plan[question.key]
        if question.kind is Kind.OPEN:
            keys.send_keys(value).perform()
        else:
            index = _index(question, value)  # Tab lands on a group's first radio; arrows move and check
            keys.send_keys(*([Keys.ARROW_RIGHT] * index if index else [Keys.SPACE])).perform()
        filled.add(question.key)
    assert driver.switch_to.active_element.tag_name == "button", "Tab never reached the submit button"
    assert filled == set(plan), f"the keyboard reached only {sorted(filled)}"


def _index(question: Question, value: str) -> int:
    if question.scale is not None:
        return int(value) - question.scale[0]
    return [option.key for option in question.options].index(value)


def check_focus_visible(driver: Any, element: Any) -> None:
    """A focused control shows a solid outline of at least 2px (the stylesheet's :focus-visible)."""
    style = driver.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, parseFloat(s.outlineWidth)]", element
    )
    assert style[0] == "solid", f"no visible focus on {element.tag_name}: {style}"
    assert style[1] >= 2, f"too thin a focus outline on {element.tag_name}: {style}"


def check_layout(driver: Any, width: int) -> None:
    """No sideways scrolling, text of 16px or more, tap targets of 44px or more."""
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    sizes = driver.execute_script(
        "return [...document.querySelectorAll('p, legend, label, textarea, button')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert min(sizes) >= 16, f"text smaller than 16px: {min(sizes)}"
    heights = driver.execute_script(
        "return [...document.querySelectorAll('.scale label, .choices label, button, textarea')]"
        ".map(e => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 44, f"a tap target lower than 44px: {min(heights)}"


def screenshot(driver: Any, path: Path) -> Path:
    """A PNG of the whole page, below the fold included."""
    size = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path}: not a PNG"
    assert len(data) > 10_000, f"{path}: {len(data)} bytes, too small for a rendered page"
