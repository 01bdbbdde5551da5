"""The driver page in headless Chromium at a phone's size: the van's run as a route sheet
(every stop in order with its times and crates, km, a total) as the plan has it, its PDF,
the day and van choosers (also from the URL), keyboard use, Swedish with an English switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

DAY = "2026-11-30"
PHONE = {"width": 390, "height": 844}


def sign_in(page: Any, live: Any, query: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live.base}/ui/driver{query}")
    page.get_by_label("Förarnyckel").fill(live.keys["driver"])
    page.get_by_role("button", name="Använd").click()


def run_of(live: Any, day: str, van: str) -> dict[str, Any]:
    answer = live.client.get(f"/plans/current/runs/{day}/{van}", headers=live.headers("driver"))
    assert answer.status_code == 200, answer.text
    run: dict[str, Any] = answer.json()
    return run


def test_phone_shows_every_stop_of_the_run_in_order(live: Any, page: Any) -> None:
    sign_in(page, live, f"?date={DAY}&van=V1")
    stops = page.locator("#stops > li")
    stops.first.wait_for()
    run = run_of(live, DAY, "V1")
    assert stops.count() == len(run["stops"])
    assert stops.evaluate_all("li => li.map(x => Number(x.dataset.seq))") == [
        s["seq"] for s in run["stops"]
    ]
    for i, s in enumerate(run["stops"]):
        card = stops.nth(i)
        text = card.inner_text()
        assert card.get_attribute("data-branch") == (s["branch_id"] or "")
        if s["branch_id"]:
            assert f"{s['branch_name']} ({s['branch_id']})" in text
        for t in (s["arrival"], s["departure"]):
            if t:
                assert t in text
        for heading, crates in (("Lämna", s["dropped"]), ("Hämta", s["collected"])):
            shown = card.locator(f".driver-crates:has(h4:text-matches('^{heading}')) li")
            assert shown.evaluate_all("li => li.map(x => x.dataset.crate)") == [
                c["crate_id"] for c in crates
            ]
            for c in crates:
                assert f"({c['to_branch_id']})" in shown.filter(has_text=c["crate_id"]).inner_text()
    total = page.locator("#total").inner_text()
    assert f"{run['km']:g} km" in total
    assert f"{sum(1 for s in run['stops'] if s['kind'] == 'stop')} stopp" in total

    # A phone: nothing wider than the screen, big touch targets.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for target in (
        page.get_by_role("button", name="Skriv ut körlistan (PDF)"),
        page.get_by_label("Dag", exact=True),
        page.get_by_label("Bil", exact=True),
    ):
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, box


def test_print_button_yields_the_route_sheet_pdf(live: Any, page: Any) -> None:
    seen: list[str] = []
    page.context.on("request", lambda r: seen.append(r.url))  # popups too
    sign_in(page, live, f"?date={DAY}")
    page.locator("#stops > li").first.wait_for()
    with page.expect_response(lambda r: "/documents/route" in r.url) as info:
        page.get_by_role("button", name="Skriv ut körlistan (PDF)").click()
    answer = info.value
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert "van_id=V1" in answer.url and f"date={DAY}" in answer.url
    save = page.get_by_role("link", name="Spara PDF")
    with page.expect_download() as download:
        save.click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert all(live.keys["driver"] not in u for u in seen)
    outside = [u for u in seen if urlparse(u).scheme in ("http", "https")]
    assert all(urlparse(u).hostname == "127.0.0.1" for u in outside), outside


def test_choosers_keyboard_and_english(live: Any, page: Any) -> None:
    sign_in(page, live, "?date=2026-12-24")
    page.wait_for_function("document.getElementById('status').textContent.includes('utanför')")
    assert page.locator("#route").is_hidden()
    page.get_by_role("button", name="Visa planens första dag").click()
    page.locator("#stops > li").first.wait_for()
    page.wait_for_function(f"location.search.includes('date={DAY}')")
    assert "van=V1" in page.url

    # Keyboard: the day field takes typed digits; the next day's run replaces the list.
    day = page.get_by_label("Dag", exact=True)
    day.focus()
    day.fill("2026-12-01")
    page.wait_for_function("location.search.includes('2026-12-01')")
    run = run_of(live, "2026-12-01", "V1")
    page.wait_for_function(
        f"document.querySelectorAll('#stops > li').length === {len(run['stops'])}"
    )
    page.get_by_label("Bil", exact=True).focus()
    assert page.evaluate("document.activeElement.id") == "van"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "print"

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Van", exact=True).wait_for()
    page.get_by_label("Day", exact=True).wait_for()
    assert "Route sheet" in page.locator("header").inner_text()
    stops = page.locator("#stops").inner_text()
    assert "Drop: 1 crate" in stops and "Collect: 1 crate" in stops
    assert "Total" in page.locator("#total").inner_text()
    page.get_by_role("button", name="Print the route sheet (PDF)").wait_for()
