"""The staff page in headless Chromium: a library's pull list and arrivals as on the plan's
documents, their PDFs, and the scan box recording events (pulled, duplicate, an unknown id, a
crate packed and collected); labelled inputs, keyboard use, Swedish with an English switch.

The scans change reservations: R1 (copy I1 at AAA, in crate 261130-AAA-BBB-1) is moved on in
test_scans_move_the_reservation_on only; the other tests read the plan's documents, which
scans do not change."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlparse

DAY = "2026-11-30"
CRATE = "261130-AAA-BBB-1"


def sign_in(page: Any, live: Any, who: str = "staff", query: str = f"?date={DAY}") -> None:
    page.goto(f"{live.base}/ui/staff{query}")
    page.get_by_label("Personalnyckel").fill(live.keys[who])
    page.get_by_label("Personalnyckel").press("Enter")
    page.wait_for_function("document.getElementById('branch-name').textContent.includes('(')")


def csv_rows(live: Any, who: str, kind: str, day: str) -> list[dict[str, str]]:
    answer = live.client.get(
        f"/plans/current/documents/{kind}",
        params={"date": day, "format": "csv"},
        headers=live.headers(who),
    )
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


def status_of(live: Any, reservation_id: str) -> str:
    answer = live.client.get(f"/reservations/{reservation_id}", headers=live.headers("planner"))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def wait_result(page: Any, kind: str) -> str:
    """The scan box's live region once it reports `kind` (ok, duplicate, error)."""
    page.wait_for_function(
        f"document.getElementById('scan-result').dataset.kind === '{kind}'", timeout=15000
    )
    return str(page.locator("#scan-result").inner_text())


def scan(page: Any, code: str) -> None:
    """As a barcode scanner does: the characters typed into the box, then Enter."""
    box = page.get_by_label("Streckkod (exemplar eller låda)")
    box.press_sequentially(code)
    box.press("Enter")


def blob_start(page: Any, link: Any) -> str:
    """The first bytes of the file a link's blob: URL holds."""
    start: str = link.evaluate(
        "async a => String.fromCharCode(...new Uint8Array("
        "await (await fetch(a.href)).arrayBuffer()).slice(0, 5))"
    )
    return start


def test_lists_match_the_plans_documents(live: Any, page: Any) -> None:
    sign_in(page, live, "staff_bbb")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert "B library (BBB)" in page.locator("header").inner_text()
    page.locator("#pull table").first.wait_for()

    pull = csv_rows(live, "staff_bbb", "pull", DAY)
    assert {r["section"] for r in pull} == {"send", "hold_shelf"}  # the test shows both
    shown = page.locator("#pull tr[data-item]")
    assert shown.count() == len(pull)
    for r in pull:
        row = page.locator(f"#pull tr[data-item='{r['item_id']}']")
        text = row.inner_text()
        for value in (r["call_number"], r["title"], r["reservation_id"]):
            assert value in text
        assert f"({r['destination_branch_id']})" in text
        caption = row.locator("xpath=ancestor::table/caption").inner_text()
        assert caption.startswith("Att skicka" if r["section"] == "send" else "Till reserverat")

    arrivals = csv_rows(live, "staff_bbb", "arrivals", DAY)
    assert arrivals
    for crate in {r["crate_id"] for r in arrivals}:
        group = page.locator(f"#arrivals tbody[data-crate='{crate}']")
        items = sorted(r["item_id"] for r in arrivals if r["crate_id"] == crate)
        shown_items = group.locator("tr[data-item]").evaluate_all(
            "rows => rows.map(r => r.dataset.item)"
        )
        assert sorted(shown_items) == items
        first = next(r for r in arrivals if r["crate_id"] == crate)
        head = group.locator("tr.crate").inner_text()
        assert first["arrival"] in head and first["van_id"] in head
    assert page.locator("#arrivals tr[data-item]").count() == len(arrivals)

    # Another day of the plan: the date chooser (and the URL) follow.
    page.get_by_label("Dag", exact=True).fill("2026-12-01")
    page.wait_for_function("location.search.includes('2026-12-01')")
    page.locator("#pull .staff-empty").wait_for()
    assert not csv_rows(live, "staff_bbb", "pull", "2026-12-01")
    assert "Inget att plocka" in page.locator("#pull").inner_text()
    page.get_by_label("Dag", exact=True).fill(DAY)
    page.locator("#arrivals tbody[data-crate]").first.wait_for()


def test_print_buttons_fetch_real_pdfs_without_the_key_in_a_url(live: Any, page: Any) -> None:
    seen: list[str] = []
    page.context.on("request", lambda r: seen.append(r.url))  # popups too
    sign_in(page, live)
    with page.expect_response(lambda r: "/documents/pull" in r.url and "pdf" in r.url) as info:
        page.get_by_role("button", name="Skriv ut plocklistan (PDF)").click()
    answer = info.value
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.request.headers.get("x-api-key") == live.keys["staff"]
    save = page.get_by_role("link", name="Spara plocklista (PDF)")
    assert blob_start(page, save) == "%PDF-"
    with page.expect_download() as download:
        save.click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert download.value.suggested_filename == f"pull-{DAY}-AAA.pdf"
    assert (save.get_attribute("href") or "").startswith("blob:")

    page.get_by_role("button", name="Skriv ut ankomsterna (PDF)").click()
    assert blob_start(page, page.get_by_role("link", name="Spara ankomster (PDF)")) == "%PDF-"

    assert all(live.keys["staff"] not in u for u in seen)
    outside = [u for u in seen if urlparse(u).scheme in ("http", "https")]
    assert all(urlparse(u).hostname == "127.0.0.1" for u in outside), outside


def test_scans_move_the_reservation_on(live: Any, page: Any) -> None:
    assert status_of(live, "R1") == "placed"
    sign_in(page, live)
    box = page.get_by_label("Streckkod (exemplar eller låda)")
    assert page.get_by_label("Vad har hänt?").input_value() == "pulled"
    page.wait_for_function("document.activeElement.id === 'scan-code'")

    scan(page, "I1")
    text = wait_result(page, "ok")
    assert "R1 plockad" in text
    assert status_of(live, "R1") == "pulled"
    assert box.evaluate("el => el === document.activeElement")
    assert box.input_value() == ""
    mark = page.locator("#pull tr[data-item='I1'] td.mark")
    assert mark.inner_text() == "Plockad från hyllan"

    # The scanner reads it again: the same scan, nothing changes.
    page.evaluate("document.getElementById('scan-result').dataset.kind = ''")
    scan(page, "I1")
    assert "Dubblett" in wait_result(page, "duplicate")
    assert status_of(live, "R1") == "pulled"

    scan(page, "NOPE-42")
    assert "unknown item 'NOPE-42'" in wait_result(page, "error")
    assert box.evaluate("el => el === document.activeElement")

    # Packing: the crate's label first (an id like a crate is a crate), then the item.
    page.get_by_label("Vad har hänt?").select_option("packed")
    scan(page, CRATE)
    page.wait_for_function(f"document.getElementById('scan-crate').value === '{CRATE}'")
    assert page.get_by_label("Låda (för packad)").input_value() == CRATE
    scan(page, "I1")
    assert "R1 packad" in wait_result(page, "ok")
    assert status_of(live, "R1") == "packed"

    # The van takes the crate: a scan of the crate moves what is in it.
    page.get_by_label("Vad har hänt?").select_option("collected")
    page.evaluate("document.getElementById('scan-result').dataset.kind = ''")
    scan(page, CRATE)
    assert "R1 på väg" in wait_result(page, "ok")
    assert status_of(live, "R1") == "in_transit"
    assert mark.inner_text() == "Hämtad av bilen"

    log = page.locator("#scan-log tbody tr")
    assert log.count() == 5  # the crate chosen for packing is not a scan
    assert [log.nth(i).get_attribute("data-result") for i in range(5)] == [
        "ok", "ok", "error", "duplicate", "ok",
    ]  # fmt: skip


def test_keyboard_labels_and_english(live: Any, page: Any) -> None:
    page.goto(f"{live.base}/ui/staff?date={DAY}")
    # A wrong key: the form again, with the reason.
    page.get_by_label("Personalnyckel").fill("bk_nope_nope")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('key-status').dataset.kind === 'error'")
    assert "Nyckeln gäller inte" in page.locator("#key-status").inner_text()
    assert page.get_by_label("Personalnyckel").is_visible()

    # Keyboard only: the key, then from the scan box back to the kind of scan.
    page.get_by_label("Personalnyckel").focus()
    page.keyboard.type(live.keys["staff"])
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'scan-code'")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "scan-kind"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Vad har hänt?").input_value() == "packed"
    assert page.get_by_label("Låda (för packad)").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "scan-crate"
    for label in ("Dag", "Vad har hänt?", "Streckkod (exemplar eller låda)"):
        assert page.get_by_label(label).is_visible()
    page.locator("#pull table").first.wait_for()

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Barcode (item or crate)").wait_for()
    page.get_by_label("What happened?").wait_for()
    page.get_by_label("Crate (for packed)").wait_for()
    page.get_by_role("button", name="Print the pull list (PDF)").wait_for()
    page.wait_for_function("document.querySelector('#pull caption')?.textContent.includes('To')")
    assert "To send" in page.locator("#pull").inner_text()
    assert "The library's day" in page.locator("header").inner_text()
    page.get_by_role("button", name="Svenska").click()
    page.get_by_label("Streckkod (exemplar eller låda)").wait_for()
    page.wait_for_function("document.getElementById('day-status').dataset.kind === 'ok'")
    assert "Att skicka" in page.locator("#pull").inner_text()


def test_the_documents_json_form_is_the_csv_with_the_keys_branch(live: Any) -> None:
    for kind in ("pull", "arrivals"):
        answer = live.client.get(
            f"/plans/current/documents/{kind}",
            params={"date": DAY, "format": "json"},
            headers=live.headers("staff_bbb"),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["branch_id"] == "BBB" and body["date"] == DAY
        assert body["subjects"] == ["B library (BBB)"]
        assert body["rows"] == csv_rows(live, "staff_bbb", kind, DAY)
