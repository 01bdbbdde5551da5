"""The planner's page in headless Chromium over the live service (the tiny consortium planned
from 2026-11-30): the map draws one path a van run of the chosen day, the figures shown are the
API's, Swedish by default with an English switch, inputs labelled and the page usable by
keyboard, planning again and the comparison with today's practice run as jobs to done with a
progress bar. No request leaves 127.0.0.1 (the `page` fixture checks)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from api.practice import reason_kind


def api(live: Any, path: str) -> Any:
    answer = live.client.get(path, headers=live.headers("planner"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_page(live: Any, page: Any) -> None:
    """The page, the planner key entered by keyboard, and the plan loaded."""
    page.goto(f"{live.base}/ui/planner")
    key = page.get_by_label("Planerarnyckel")
    key.focus()
    page.keyboard.type(live.keys["planner"])
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-state=ready]")


def figure(page: Any, name: str) -> str:
    return str(page.locator(f"[data-figure={name}]").first.get_attribute("data-value"))


def within(summary: dict[str, Any], days: int) -> float | None:
    moved = summary["items_moved"]
    fast = sum(n for k, n in summary["transit_days"].items() if int(k) <= days)
    return round(fast / moved, 4) if moved else None


def assert_figures_match(page: Any, live: Any) -> dict[str, Any]:
    plan = api(live, "/plans/current")
    s = plan["summary"]
    assert float(figure(page, "km")) == s["km"]
    assert float(figure(page, "drive_hours")) == round(s["drive_minutes"] / 60, 1)
    assert int(figure(page, "runs")) == s["runs"]
    assert int(figure(page, "crates")) == s["crates"]
    assert int(figure(page, "items_moved")) == s["items_moved"]
    assert int(figure(page, "items_filled_on_the_spot")) == s["items_filled_on_the_spot"]
    assert int(figure(page, "items_unplanned")) == s["items_unplanned"]
    assert float(figure(page, "share_within_1_working_day")) == s["share_within_1_working_day"]
    assert float(figure(page, "share_within_2_working_days")) == within(s, 2)
    # what is shown is those values, formatted in Swedish
    assert page.locator("#fig-km").inner_text() == f"{s['km']:.1f}".replace(".", ",")
    assert page.locator("#fig-crates").inner_text() == str(s["crates"])
    return plan


def test_the_map_draws_one_path_a_run_and_the_figures_are_the_apis(live: Any, page: Any) -> None:
    open_page(live, page)
    assert page.locator("html").get_attribute("lang") == "sv"
    assert_figures_match(page, live)

    runs = api(live, "/plans/current/runs")["runs"]
    by_day: dict[str, list[str]] = {}
    for r in runs:
        by_day.setdefault(r["day"], []).append(r["van_id"])
    day_select = page.get_by_label("Dag", exact=True)
    options = day_select.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == sorted(by_day)
    branches = api(live, "/branches")
    for day, vans in sorted(by_day.items()):
        day_select.select_option(day)
        page.wait_for_selector(f"#map[data-day='{day}']")
        paths = page.locator("#map path.run")
        assert paths.count() == len(vans)
        assert sorted(paths.evaluate_all("ps => ps.map(p => p.dataset.van)")) == sorted(vans)
        colours = paths.evaluate_all("ps => ps.map(p => p.getAttribute('stroke'))")
        assert len(set(colours)) == len(colours)
        assert page.locator("#runs-table tbody tr").count() == len(vans)
        assert page.locator("#legend input[type=checkbox]").count() == len(vans)
        assert page.locator("#load-chart path.load").count() == len(vans)
    # every branch at its place, the hubs marked apart, names as titles
    assert page.locator("#map g.branch").count() == len(branches)
    hubs = [b["branch_id"] for b in branches if b["kind"] == "hub"]
    assert sorted(page.locator("#map g.branch.hub").evaluate_all(
        "gs => gs.map(g => g.dataset.branch)")) == sorted(hubs)  # fmt: skip
    assert page.locator("#map g.branch.hub rect").count() == len(hubs)
    assert "A library" in page.locator("#map g.branch[data-branch=AAA] title").text_content()

    # the transit histogram and the unplanned reasons, as the plan's
    summary = api(live, "/plans/current")["summary"]
    for days, count in summary["transit_days"].items():
        bar = page.locator(f"#transit-chart rect.bar[data-days='{days}']")
        assert bar.get_attribute("data-count") == str(count)
    unplanned = api(live, "/plans/current/unplanned?limit=1000")
    assert page.locator("#unplanned-total").get_attribute("data-value") == str(unplanned["total"])
    kinds = Counter(reason_kind(u["reason"]) for u in unplanned["items"])
    shown = page.locator("#reasons-table tbody tr")
    assert shown.count() == len(kinds)
    for kind, n in kinds.items():
        row = page.locator(f"#reasons-table tbody tr[data-kind={kind}]")
        assert row.locator("td.num").inner_text() == str(n)
    assert "Inget ledigt exemplar" in page.locator("#reasons-table").inner_text()


def test_english_on_the_switch(live: Any, page: Any) -> None:
    open_page(live, page)
    assert page.get_by_role("heading", name="Aktuell plan").is_visible()
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Current plan").is_visible()
    assert page.get_by_label("Day", exact=True).is_visible()
    assert page.get_by_label("First day").is_visible()
    assert "km in all" in page.locator("#figures").inner_text()
    assert "No available copy" in page.locator("#reasons-table").inner_text()
    assert "working days" in page.locator("#transit-chart").text_content()
    day = page.get_by_label("Day", exact=True).locator("option").first.inner_text()
    assert "Monday" in day
    page.get_by_role("button", name="Svenska").click()
    assert page.get_by_role("heading", name="Aktuell plan").is_visible()
    assert "måndag" in page.get_by_label("Dag", exact=True).locator("option").first.inner_text()


def test_labelled_and_usable_by_keyboard(live: Any, page: Any) -> None:
    page.goto(f"{live.base}/ui/planner")
    # to the key input and its button by Tab alone
    reached = []
    for _ in range(4):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert "key-input" in reached
    page.get_by_label("Planerarnyckel").focus()
    page.keyboard.type(live.keys["planner"])
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the "Använd nyckeln" button
    page.wait_for_selector("body[data-state=ready]")

    for label in ("Dag", "Startdag", "Antal dagar", "Lösartid i sekunder (valfri)",
                  "Lösartid för jämförelsen i sekunder (valfri)"):  # fmt: skip
        assert page.get_by_label(label, exact=True).count() == 1, label
    van = api(live, "/plans/current/runs")["runs"][0]["van_id"]
    assert page.get_by_label(van, exact=True).is_checked()

    wanted = {"day-select", "plan-start", "plan-days", "plan-seconds", "plan-button",
              "compare-seconds", "compare-button", f"show-van-{van}", "lang-toggle"}  # fmt: skip
    seen = set()
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.id"))
        if wanted <= seen:
            break
    assert wanted <= seen, wanted - seen

    # the legend's checkbox, by Space: the van's run leaves the map and comes back
    page.get_by_label(van, exact=True).focus()
    page.keyboard.press("Space")
    assert not page.locator(f"#map path.run[data-van={van}]").is_visible()
    page.keyboard.press("Space")
    assert page.locator(f"#map path.run[data-van={van}]").is_visible()

    # another day by the keyboard
    days = sorted({r["day"] for r in api(live, "/plans/current/runs")["runs"]})
    if len(days) > 1:
        page.get_by_label("Dag", exact=True).focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_selector(f"#map[data-day='{days[1]}']")


def wait_done(page: Any, box: str) -> None:
    page.wait_for_function(
        f"['done', 'failed'].includes(document.getElementById('{box}').dataset.status)",
        timeout=90_000,
    )
    assert page.locator(f"#{box}").get_attribute("data-status") == "done", page.locator(
        f"#{box}"
    ).inner_text()


def test_plan_again_runs_a_job_to_done_with_progress(live: Any, page: Any) -> None:
    before = api(live, "/plans/current")
    open_page(live, page)
    assert page.locator("#plan-job").is_hidden()
    assert page.get_by_label("Startdag").input_value() == before["start"]
    page.get_by_label("Antal dagar").fill("3")
    page.get_by_label("Lösartid i sekunder (valfri)").fill("1")
    page.get_by_role("button", name="Planera igen").click()
    progress = page.locator("#plan-progress")
    progress.wait_for(state="visible")
    assert page.locator("#plan-progress-text").get_attribute("aria-live") == "polite"
    wait_done(page, "plan-job")
    after = api(live, "/plans/current")
    assert after["plan_id"] != before["plan_id"] and after["days"] == 3
    assert progress.is_visible() and progress.evaluate("p => p.value") == 1
    assert f"plan {after['plan_id']}" in page.locator("#plan-progress-text").inner_text()
    # the page shows the new plan
    page.wait_for_function(
        f"document.querySelector('#fig-runs').dataset.value === '{after['summary']['runs']}'"
    )
    assert_figures_match(page, live)


def test_the_comparison_with_todays_practice(live: Any, page: Any) -> None:
    open_page(live, page)
    page.get_by_role("button", name="English").click()
    assert page.locator("#compare-table").is_hidden()
    page.get_by_label("Solver time for the comparison in seconds (optional)").fill("0.5")
    page.get_by_role("button", name="Compute the comparison").click()
    page.locator("#compare-progress").wait_for(state="visible")
    wait_done(page, "compare-job")
    table = page.locator("#compare-table")
    table.wait_for(state="visible")
    comparison = api(live, "/plans/compare")
    assert comparison["same_demand"] is True
    for side in ("current", "practice"):
        figures = comparison[side]["figures"]
        for key in ("km", "crates", "items_moved", "items_unplanned", "runs"):
            cell = table.locator(f"tr[data-figure={key}] td[data-side={side}]")
            assert float(str(cell.get_attribute("data-value"))) == figures[key], (side, key)
    assert "Today's practice" in table.inner_text()
    # the current plan is still the one the page shows
    assert api(live, "/plans/current")["plan_id"] == comparison["current"]["plan_id"]


def test_serve_prints_the_planner_pages_address(
    monkeypatch: Any, capsys: Any, tmp_path: Any
) -> None:
    import argparse

    import uvicorn

    from api.cli import _serve

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")  # _serve sets it for its workers
    args = argparse.Namespace(data=None, host="127.0.0.1", port=8123, workers=1)
    assert _serve(args, f"sqlite:///{tmp_path / 'x.db'}", None) == 0  # type: ignore[arg-type]
    assert "planner page: http://127.0.0.1:8123/ui/planner\n" in capsys.readouterr().out
