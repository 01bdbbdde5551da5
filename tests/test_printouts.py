"""Printouts: the PDFs are read back as text (pypdf) and as images whose barcodes are decoded
(pypdfium2 + zxing-cpp), and what they say is compared with the plan files."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from logistics.check import check_plan
from logistics.cli import main
from logistics.documents import documents, write_csv
from logistics.load import format_hhmm, load_scenario
from logistics.model import Scenario
from logistics.pdf import write_pdf
from logistics.plan import Plan, read_plan, write_plan
from logistics.planner import plan
from tests.conftest import BUNDLED, TINY, write_scenario

START = date(2026, 11, 30)
PAGE = {"sv": re.compile(r"Sida (\d+) / (\d+)"), "en": re.compile(r"Page (\d+) / (\d+)")}


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Plan, Path, date]:
    """The bundled consortium's week, planned, checked, written and read back; and its
    busiest day."""
    scenario = load_scenario(BUNDLED)
    result = plan(scenario, START, 5, seconds=6)
    assert check_plan(scenario, result) == []
    folder = tmp_path_factory.mktemp("week")
    write_plan(result, folder)
    read = read_plan(folder)
    busiest = Counter(c.day for c in read.crates).most_common(1)[0][0]
    return scenario, read, folder, busiest


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def _barcodes(path: Path) -> list[list[str]]:
    """The Code 128 barcodes decoded from each page rendered at 200 dpi."""
    out = []
    for page in pypdfium2.PdfDocument(path):
        image = page.render(scale=200 / 72).to_pil()
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
        out.append([b.text for b in found])
    return out


def _pdf(tmp_path: Path, kind: str, scenario: Scenario, p: Plan, day: date, **kw: str) -> Path:
    docs = documents(kind, scenario, p, day, **kw)  # type: ignore[arg-type]
    path = tmp_path / f"{kind}-{kw.get('branch_id') or kw.get('van_id') or 'all'}.pdf"
    write_pdf(docs, path)
    return path


def _all_on(page: str, ids: set[str]) -> bool:
    """Every id printed on the page (as a whole word)."""
    return all(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", page) for i in ids)


def _shelf_order(text: str) -> str:
    """Swedish alphabetical order for the test's own check (å, ä, ö after z)."""
    return text.casefold().replace("å", "z1").replace("ä", "z2").replace("ö", "z3")


def _numbered(pages: list[str], lang: str) -> list[tuple[int, int]]:
    found = []
    for text in pages:
        match = PAGE[lang].search(text)
        assert match, f"no page number on a page: {text[-200:]!r}"
        found.append((int(match[1]), int(match[2])))
    return found


def _assert_numbering(numbers: list[tuple[int, int]]) -> None:
    """Each document numbers its pages 1 / n .. n / n; the next one starts again at 1."""
    expected_page = 1
    for page, pages in numbers:
        assert page == expected_page
        assert page <= pages
        expected_page = 1 if page == pages else page + 1
    assert expected_page == 1


def test_pull_lists_hold_every_pulled_copy_in_shelf_order(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path
) -> None:
    scenario, p, _, day = week
    pulled = defaultdict(list)
    for r in p.reservations:
        if r.pull_date == day:
            pulled[r.source_branch_id].append(r)
    assert pulled, "the busiest day pulls nothing"
    for branch_id, rows in pulled.items():
        path = _pdf(tmp_path, "pull", scenario, p, day, branch_id=branch_id)
        text = "\n".join(_pages(path))
        decoded = [code for page in _barcodes(path) for code in page]
        assert sorted(decoded) == sorted(r.item_id for r in rows)
        hold = text.index("Till reserverathyllan")
        for r in rows:
            at = text.index(r.item_id)
            # copies for this branch's own patrons are listed apart, after the ones to send
            assert (at > hold) == (r.pickup_branch_id == branch_id)
            assert r.reservation_id in text
        for section in (
            [r for r in rows if r.pickup_branch_id != branch_id],
            [r for r in rows if r.pickup_branch_id == branch_id],
        ):
            printed = sorted(section, key=lambda r: text.index(r.item_id))
            calls = [_shelf_order(scenario.items[r.item_id].call_number) for r in printed]
            assert calls == sorted(calls)
        _assert_numbering(_numbered(_pages(path), "sv"))


def test_packing_lists_and_labels_cover_every_crate_handed_to_a_van(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path
) -> None:
    scenario, p, _, day = week
    legs = [c for c in p.crates if c.day == day]
    inside = defaultdict(set)
    for crate_id, item_id in p.contents:
        inside[crate_id].add(item_id)

    path = _pdf(tmp_path, "packing", scenario, p, day)
    pages = _pages(path)
    for c in legs:
        # the crate's block is on one page: its id and every item in it
        holding = [n for n, text in enumerate(pages) if c.crate_id in text]
        assert holding, c.crate_id
        assert any(_all_on(pages[n], inside[c.crate_id]) for n in holding)
    decoded = Counter(code for page in _barcodes(path) for code in page)
    assert decoded == Counter(c.crate_id for c in legs)
    _assert_numbering(_numbered(pages, "sv"))

    first = [c for c in legs if c.leg == 1]
    labels = _pdf(tmp_path, "labels", scenario, p, day)
    decoded_labels = _barcodes(labels)
    assert sorted(code for page in decoded_labels for code in page) == sorted(
        c.crate_id for c in first
    )
    assert all(len(page) <= 2 for page in decoded_labels)  # two labels an A4 page
    label_pages = _pages(labels)
    for c in first:
        text = next(t for t in label_pages if c.crate_id in t)
        assert scenario.branches[c.to_branch_id].name in text
        assert f"{c.items} ex" in text and c.van_id in text
        assert format_hhmm(c.departure) in text


def test_route_sheets_follow_the_runs(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path
) -> None:
    scenario, p, _, day = week
    vans = sorted({r.van_id for r in p.routes if r.day == day})
    for van_id in vans:
        rows = sorted((r for r in p.routes if r.day == day and r.van_id == van_id),
                      key=lambda r: r.seq)  # fmt: skip
        path = _pdf(tmp_path, "route", scenario, p, day, van_id=van_id)
        text = "\n".join(_pages(path))
        position = 0
        for r in rows:
            if not r.branch_id:
                continue
            time = format_hhmm(r.arrival if r.arrival is not None else r.departure or 0)
            name = scenario.branches[r.branch_id].name
            heading = re.compile(rf"(?m)^{r.seq}\. (?:\w+ · )?{re.escape(name)} \({r.branch_id}\)")
            found = heading.search(text, position)
            assert found, f"stop {r.seq} at {r.branch_id} is missing or out of order"
            assert time in text[found.end() : found.end() + 60]
            position = found.end()
        km = sum(r.km_from_prev for r in rows)
        assert f"Totalt: {km:.1f} km" in text
        assert "Förare:" in text

        docs = documents("route", scenario, p, day, van_id=van_id)
        write_csv("route", docs, tmp_path / "route.csv")
        with (tmp_path / "route.csv").open(encoding="utf-8") as handle:
            printed = list(csv.DictReader(handle))
        for r in rows:
            at = [x for x in printed if x["seq"] == str(r.seq)]
            assert sum(x["action"] == "drop" for x in at) == r.crates_off
            assert sum(x["action"] == "collect" for x in at) == r.crates_on
        crate_ids = {x["crate_id"] for x in printed if x["crate_id"]}
        assert crate_ids == {c.crate_id for c in p.crates if c.day == day and c.van_id == van_id}


def test_arrivals_name_the_reservations_each_crate_fills(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path
) -> None:
    scenario, p, _, day = week
    filled = {d.item_id: d.reservation_id for d in p.deliveries if d.reservation_id}
    arriving = defaultdict(list)
    for c in p.crates:
        if c.day == day:
            arriving[c.leg_to_branch_id].append(c)
    for branch_id, legs in arriving.items():
        path = _pdf(tmp_path, "arrivals", scenario, p, day, branch_id=branch_id)
        pages = _pages(path)
        for c in legs:
            page = next(t for t in pages if c.crate_id in t)
            items = [i for crate_id, i in p.contents if crate_id == c.crate_id]
            for item_id in items:
                assert item_id in page
                if item_id in filled and c.to_branch_id == branch_id:
                    assert filled[item_id] in page
        decoded = Counter(code for page in _barcodes(path) for code in page)
        assert decoded == Counter(c.crate_id for c in legs)


def test_documents_read_in_english_and_swedish(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path
) -> None:
    scenario, p, _, day = week
    van_id = next(r.van_id for r in p.routes if r.day == day)
    words = {
        "sv": ("Körlista", "Lämna", "Hämta", "Totalt"),
        "en": ("Route sheet", "Drop", "Collect", "Total"),
    }
    for lang, expected in words.items():
        docs = documents("route", scenario, p, day, van_id=van_id, lang=lang)
        path = tmp_path / f"route-{lang}.pdf"
        write_pdf(docs, path)
        pages = _pages(path)
        text = "\n".join(pages)
        for word in expected:
            assert word in text
        assert day.isoformat() in text
        _assert_numbering(_numbered(pages, lang))
    # Swedish letters survive the round trip through the PDF
    names = [b.name for b in scenario.branches.values() if re.search("[åäöÅÄÖ]", b.name)]
    assert names
    everything = _pdf(tmp_path, "arrivals", scenario, p, day)
    text = "\n".join(_pages(everything))
    assert any(name in text for name in names)
    assert "Ankomster" in text and "Låda" in text


TITLES = {
    "sv": {"pull": "Plocklista", "packing": "Packlista", "labels": "Lådetiketter",
           "route": "Körlista", "arrivals": "Ankomster"},
    "en": {"pull": "Pull list", "packing": "Packing list", "labels": "Crate labels",
           "route": "Route sheet", "arrivals": "Arrivals"},
}  # fmt: skip
WORDS = {
    "sv": {"pull": ("Hylla", "Titel", "Streckkod", "Till"), "packing": ("Låda", "ex", "avg"),
           "labels": ("Från:", "Låda", "klipp här"), "route": ("Lämna", "Hämta", "Förare:"),
           "arrivals": ("Låda", "Från", "ank")},
    "en": {"pull": ("Shelf", "Title", "Barcode", "To"), "packing": ("Crate", "items", "dep"),
           "labels": ("From:", "Crate", "cut here"), "route": ("Drop", "Collect", "Driver:"),
           "arrivals": ("Crate", "From", "arr")},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_document_of_the_day_reads_in_its_language(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path, lang: str
) -> None:
    scenario, p, _, day = week
    other = "en" if lang == "sv" else "sv"
    for kind, title in TITLES[lang].items():
        docs = documents(kind, scenario, p, day, lang=lang)
        assert docs, kind
        path = tmp_path / f"{kind}.pdf"
        write_pdf(docs, path)
        pages = _pages(path)
        _assert_numbering(_numbered(pages, lang))
        assert all(title in page for page in pages)  # in every page header
        text = "\n".join(pages)
        for word in WORDS[lang][kind]:
            assert re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text), (kind, word)
        assert TITLES[other][kind] not in text
    # a branch with nothing to do that day still gets its page, saying so
    idle = sorted(set(scenario.branches) - {c.leg_to_branch_id for c in p.crates if c.day == day})
    if idle:
        path = tmp_path / "idle.pdf"
        write_pdf(documents("arrivals", scenario, p, day, branch_id=idle[0], lang=lang), path)
        nothing = {"sv": "Inget denna dag.", "en": "Nothing on this day."}[lang]
        assert nothing in _pages(path)[0]


def _crowded(folder: Path, n: int) -> Path:
    """The tiny consortium with `n` copies at AAA, each reserved for pickup at BBB or CCC."""
    files = dict(TINY)
    files["items.csv"] = TINY["items.csv"] + "".join(
        f"9{k:010d},X{k},Bok nummer {k} – åäö,Hc {k % 37} Ö,AAA,AAA,available,\n" for k in range(n)
    )
    placed = datetime(2026, 11, 27, 12, 0)
    files["reservations.csv"] = TINY["reservations.csv"] + "".join(
        f"Q{k:04d},X{k},{'BBB' if k % 2 else 'CCC'},{placed + timedelta(minutes=k):%Y-%m-%dT%H:%M}\n"
        for k in range(n)
    )
    files["vans.csv"] = TINY["vans.csv"].replace("V1,HUB,10,", "V1,HUB,60,")
    return write_scenario(folder, files)


def test_four_hundred_items_flow_over_pages_without_splitting_a_crate(tmp_path: Path) -> None:
    scenario = load_scenario(_crowded(tmp_path / "crowded", 400))
    p = plan(scenario, START, 1, seconds=3)
    assert check_plan(scenario, p) == []
    from_aaa = [c for c in p.crates if c.day == START and c.leg_from_branch_id == "AAA"]
    moved = {i for c, i in p.contents if c in {x.crate_id for x in from_aaa}}
    assert len(moved) >= 400

    path = _pdf(tmp_path, "packing", scenario, p, START, branch_id="AAA")
    pages = _pages(path)
    assert len(pages) >= 3
    for c in from_aaa:
        items = {i for crate_id, i in p.contents if crate_id == c.crate_id}
        holding = [n for n, text in enumerate(pages) if f"{c.crate_id} " in text]
        assert len(holding) == 1, f"{c.crate_id} is on pages {holding}"
        assert _all_on(pages[holding[0]], items)
    _assert_numbering(_numbered(pages, "sv"))

    pull = _pdf(tmp_path, "pull", scenario, p, START, branch_id="AAA", lang="en")
    pull_pages = _pages(pull)
    assert len(pull_pages) >= 10
    _assert_numbering(_numbered(pull_pages, "en"))
    decoded = [code for page in _barcodes(pull) for code in page]
    expected = [r.item_id for r in p.reservations if r.pull_date == START and r.item_id
                and r.source_branch_id == "AAA"]  # fmt: skip
    assert len(expected) >= 400
    assert sorted(decoded) == sorted(expected)


def test_print_command_writes_csv_and_rejects_bad_requests(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, p, folder, day = week
    out = tmp_path / "arrivals.csv"
    branch_id = next(c.leg_to_branch_id for c in p.crates if c.day == day)
    args = ["print", "arrivals", "--plan", str(folder), "--data", str(BUNDLED)]
    assert main([*args, "--date", day.isoformat(), "--branch", branch_id, "--csv",
                 "--out", str(out)]) == 0  # fmt: skip
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = {
        (c.crate_id, i)
        for c in p.crates
        if c.day == day and c.leg_to_branch_id == branch_id
        for crate_id, i in p.contents
        if crate_id == c.crate_id
    }
    assert {(r["crate_id"], r["item_id"]) for r in rows} == expected
    assert all(r["branch_id"] == branch_id and r["date"] == day.isoformat() for r in rows)

    bad = {
        "--date": (["--date", (p.start + timedelta(days=p.days)).isoformat()], "outside"),
        "--branch": (["--date", day.isoformat(), "--branch", "NOPE"], "unknown branch"),
    }
    for flags, message in bad.values():
        target = tmp_path / "never.pdf"
        assert main([*args, *flags, "--out", str(target)]) == 2
        assert message in capsys.readouterr().err
        assert not target.exists()
    route = ["print", "route", "--plan", str(folder), "--data", str(BUNDLED)]
    target = tmp_path / "never.pdf"
    assert main([*route, "--date", day.isoformat(), "--branch", branch_id,
                 "--out", str(target)]) == 2  # fmt: skip
    assert "per van" in capsys.readouterr().err
    assert not target.exists()


def test_print_all_makes_a_branchs_and_a_vans_papers_in_one_call(
    week: tuple[Scenario, Plan, Path, date], tmp_path: Path
) -> None:
    _, p, folder, day = week
    branch_id = next(c.leg_from_branch_id for c in p.crates if c.day == day and c.leg == 1)
    van_id = next(r.van_id for r in p.routes if r.day == day)
    args = ["print", "all", "--plan", str(folder), "--data", str(BUNDLED), "--date", str(day)]
    out = tmp_path / "papers"
    assert main([*args, "--branch", branch_id, "--csv", "--out", str(out)]) == 0
    assert sorted(f.name for f in out.iterdir()) == [
        "arrivals.csv", "labels.csv", "packing.csv", "pull.csv",
    ]  # fmt: skip
    with (out / "labels.csv").open(encoding="utf-8") as handle:
        labelled = {r["crate_id"] for r in csv.DictReader(handle)}
    assert labelled == {
        c.crate_id
        for c in p.crates
        if c.day == day and c.leg == 1 and c.from_branch_id == branch_id
    }
    pdf = tmp_path / "van.pdf"
    assert main([*args, "--van", van_id, "--out", str(pdf), "--lang", "en"]) == 0
    text = "\n".join(_pages(pdf))
    assert "Route sheet" in text and "Packing list" in text and "Pull list" not in text
