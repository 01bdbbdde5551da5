"""The patron page in headless Chromium: a real code shows the pickup branch and the promised
date; a wrong code a neutral message; Swedish by default, English on the switch."""

from __future__ import annotations

from typing import Any

from api import models as m


def _promise(live: Any, reservation_id: str) -> str:
    with live.app.state.sessions() as session:
        r = session.get(m.Reservation, reservation_id)
        assert r is not None and r.promise_date is not None
        return str(r.promise_date.isoformat())


def test_a_real_code_shows_branch_and_promised_date(live: Any, page: Any) -> None:
    page.goto(f"{live.base}/ui/patron")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_label("Din hämtkod").fill(live.codes["R1"])
    page.get_by_role("button", name="Visa").click()
    answer = page.locator(".bokflyt-answer")
    answer.locator(".bokflyt-message").wait_for()
    text = answer.inner_text()
    assert "B library" in text
    assert _promise(live, "R1") in text
    assert "Din reservation" in text

    page.get_by_role("button", name="English").click()
    page.get_by_label("Your pickup code").wait_for()
    page.wait_for_function(
        "document.querySelector('.bokflyt-message')?.textContent.includes('Your')"
    )
    assert "Your reservation" in answer.inner_text()


def test_a_wrong_code_gets_a_neutral_message(live: Any, page: Any) -> None:
    page.goto(f"{live.base}/ui/patron")
    page.get_by_label("Din hämtkod").fill(live.codes["R1"][::-1] + "x")
    page.keyboard.press("Enter")
    answer = page.locator(".bokflyt-answer")
    page.wait_for_function("document.querySelector('.bokflyt-answer').dataset.kind === 'error'")
    assert "Vi hittar ingen reservation" in answer.inner_text()
    assert "B library" not in answer.inner_text()
