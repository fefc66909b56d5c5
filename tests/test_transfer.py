"""Export and import (claims/transfer.py, the export_claims and import_claims commands): the backup
of the whole dataset restores identically, a second import changes nothing, a bad document is
refused whole with every problem and its path, the CSV is safe for spreadsheets, and an export
costs the same queries for 5 or 50 claims."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import transfer, verification, workflow
from claims.models import (
    Actor,
    Appearance,
    Claim,
    Event,
    Flag,
    PendingCheck,
    Quantity,
    Review,
    Source,
)
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    FlagFactory,
    QuantityFactory,
    ReviewFactory,
)


def _counts() -> dict[str, int]:
    counts = {
        model.__name__: model._default_manager.count()
        for model in (Actor, Source, Event, Claim, Appearance, Quantity, Review, Flag)
    }
    counts["claim places"] = Claim.places.through.objects.count()
    counts["event places"] = Event.places.through.objects.count()
    counts["flag claims"] = Flag.claims.through.objects.count()
    counts["flag sources"] = Flag.sources.through.objects.count()
    return counts


def _history_counts() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in (Claim, Appearance, Review, Flag)}


def _wipe_claims_data() -> None:
    """What a restore starts from: the gazetteer and the user accounts, nothing else."""
    Flag.objects.all().delete()
    Review.objects.all().delete()
    # Deleting an appearance or a quantity asks for a check of its claim (claims/signals.py);
    # inside a claim's cascade that would re-create the claim's outbox row after the cascade
    # removed it. Parts first, then the outbox, then the claims.
    Appearance.objects.all().delete()
    Quantity.objects.all().delete()
    PendingCheck.objects.all().delete()
    Claim.objects.all().delete()
    Event.objects.all().delete()
    Source.objects.all().delete()
    Actor.objects.update(parent=None)
    Actor.objects.all().delete()


def _export() -> dict[str, Any]:
    return transfer.export_document(transfer.whole_dataset())


@pytest.fixture
def desk(seeded: Any, role_users: dict[str, Any]) -> SimpleNamespace:
    """The seed case as the desk leaves it after a day: flags from the verification scan, a
    published review, an unpublished one, and a flag dismissed with a reason."""
    verification.scan_all()
    first, second = Claim.objects.order_by("slug")[:2]
    review = workflow.record_review(
        claim_id=first.pk,
        verdict="likely_true",
        rationale="تؤكده مصادر مستقلة: Two independent roots.",
        evidence_links=["https://www.centcom.mil/MEDIA/PRESS-RELEASES/"],
        language="ar",
        by=role_users["editor"],
    )
    workflow.publish_review(review_id=review.pk, by=role_users["reviewer"])
    workflow.record_review(
        claim_id=second.pk,
        verdict="contested",
        rationale="The ministry tells it differently.",
        by=role_users["editor"],
    )
    flag = Flag.objects.order_by("id").first()
    assert flag is not None
    workflow.dismiss_flag(
        flag_id=flag.pk, reason="Two wires reported it separately.", by=role_users["editor"]
    )
    return SimpleNamespace(users=role_users, first=first, second=second, flag=flag)


# ---- backup and restore -------------------------------------------------------------------


def test_a_backup_restores_into_an_emptied_database_identically(desk: SimpleNamespace) -> None:
    before_counts = _counts()
    backup = "".join(transfer.iter_json(transfer.whole_dataset()))
    before = json.loads(backup)
    assert before["flags"] and before["claims"] and before["sources"]
    assert any(f["state"] == "dismissed" for f in before["flags"])
    reviews = [r for c in before["claims"] for r in c["reviews"]]
    assert sorted(r["published"] for r in reviews) == [False, True]

    _wipe_claims_data()
    assert Claim.objects.count() == 0
    report = transfer.import_dataset(data=json.loads(backup), user=desk.users["admin"])

    assert report.ok, report.problems
    assert report.created["claims"] == before_counts["Claim"]
    assert transfer.canonical_json(_export()) == transfer.canonical_json(before)
    assert "".join(transfer.iter_json(transfer.whole_dataset())) == backup
    assert _counts() == before_counts
    restored = Review.objects.get(published=True)
    assert restored.published_by == desk.users["reviewer"]
    assert restored.rationale.startswith("تؤكده")


def test_the_scan_after_a_restore_finds_the_restored_flags_and_keeps_the_dismissal(
    desk: SimpleNamespace,
) -> None:
    backup = _export()
    flags_before = Flag.objects.count()
    _wipe_claims_data()
    transfer.import_dataset(data=backup, user=None)

    scan = verification.scan_all()

    # The restored flags carry fingerprints recomputed from the new claim ids, so the scan
    # finds them, none twice; the dismissed one carries the evidence hash of its new ids, so
    # the editor's dismissal stands.
    assert (scan.flags.created, scan.flags.reopened, scan.flags.kept_dismissed) == (0, 0, 1)
    assert Flag.objects.count() == flags_before
    dismissed = Flag.objects.get(state=Flag.State.DISMISSED)
    assert dismissed.dismissed_reason == "Two wires reported it separately."


def test_importing_the_same_document_twice_changes_nothing(desk: SimpleNamespace) -> None:
    backup = _export()
    _wipe_claims_data()
    first = transfer.import_dataset(data=backup, user=None)
    counts, history = _counts(), _history_counts()

    second = transfer.import_dataset(data=copy.deepcopy(backup), user=None)

    assert first.changed_anything
    assert second.ok and not second.changed_anything, second.as_dict()
    assert second.summary() == "Imported: nothing changed."
    assert second.unchanged["claims"] == len(backup["claims"])
    assert (_counts(), _history_counts()) == (counts, history)


def test_importing_an_export_over_its_own_database_changes_nothing(desk: SimpleNamespace) -> None:
    versions = dict(Claim.objects.values_list("slug", "version"))

    report = transfer.import_dataset(data=_export(), user=None)

    assert report.ok and not report.changed_anything, report.as_dict()
    assert dict(Claim.objects.values_list("slug", "version")) == versions


def test_an_import_that_changes_a_claim_bumps_its_version_and_records_why(
    desk: SimpleNamespace,
) -> None:
    document = _export()
    index = _index(document, lambda c: c["quantities"])
    record = document["claims"][index]
    claim = Claim.objects.get(slug=record["slug"])
    removed = len(record["quantities"])
    record["text_en"] = "A corrected translation."
    record["quantities"] = []

    report = transfer.import_dataset(data=document, user=desk.users["admin"])

    assert (report.updated, report.removed, report.created) == (
        {"claims": 1},
        {"quantities": removed},
        {},
    )
    after = Claim.objects.get(pk=claim.pk)
    assert after.text_en == "A corrected translation."
    assert after.version == claim.version + 1
    assert not after.quantities.exists()
    latest = after.history.first()
    assert latest.history_change_reason == transfer.IMPORT_REASON
    assert latest.history_user == desk.users["admin"]


def test_reviewers_missing_from_the_database_get_inactive_accounts(seeded: Any) -> None:
    document = _export()
    document["claims"][0]["reviews"] = [
        {
            "verdict": "false",
            "rationale": "Satellite imagery shows no strike.",
            "reviewer": "visiting-fact-checker",
            "created_at": "2025-11-28T09:30:00Z",
        }
    ]

    report = transfer.import_dataset(data=document, user=None)

    assert report.ok, report.problems
    assert report.users_created == ["visiting-fact-checker"]
    review = Review.objects.get(reviewer__username="visiting-fact-checker")
    assert not review.reviewer.is_active and not review.reviewer.has_usable_password()
    assert review.created_at.isoformat() == "2025-11-28T09:30:00+00:00"


# ---- refusals -----------------------------------------------------------------------------


def _index(document: dict[str, Any], test: Any) -> int:
    return next(i for i, c in enumerate(document["claims"]) if test(c))


def test_a_document_with_several_problems_is_refused_whole_with_every_path(
    desk: SimpleNamespace,
) -> None:
    document = _export()
    claims = document["claims"]
    with_quantity = _index(document, lambda c: c["quantities"])
    with_appearance = _index(document, lambda c: c["appearances"] and c is not claims[0])
    claims[0]["claimant"] = "no-such-actor"
    claims[with_quantity]["quantities"][0].update(low=50, high=10)
    claims[with_appearance]["appearances"][0]["via"] = "a-source-nobody-has"
    claims[2]["verdict"] = "probably"
    claims[3]["slug"] = claims[4]["slug"]
    # Valid on their own, and so a test that they are not stored either.
    document["actors"].append({"slug": "new-outlet", "name": "New outlet", "kind": "media"})
    claims[5]["text_en"] = "This change must not be stored."
    before, before_document = _counts(), transfer.canonical_json(_export())

    report = transfer.import_dataset(data=document, user=None)

    assert not report.ok
    problems = {p.path: p.message for p in report.problems}
    assert problems == {
        "claims[0].claimant": "'no-such-actor' is not an actor in the document or the database",
        f"claims[{with_quantity}].quantities[0].low": "50 is greater than high 10",
        f"claims[{with_appearance}].appearances[0].via": (
            "'a-source-nobody-has' is not a source in the document or the database"
        ),
        "claims[2].verdict": (
            "'probably' is not one of unverified, confirmed, likely_true, contested, "
            "misleading, likely_false, false, unassessable"
        ),
        "claims[4].slug": f"slug {claims[4]['slug']!r} is already used at claims[3].slug",
    }
    assert report.summary() == "Import refused: 5 problems; nothing was stored."
    assert _counts() == before
    assert transfer.canonical_json(_export()) == before_document


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        ([], "$", "the document must be a JSON object, not list"),
        ({"format": "other", "version": 1}, "format", "must be 'claim-tracker'"),
        ({"format": "claim-tracker", "version": 2}, "version", "must be 1"),
        ({"format": "claim-tracker", "version": 1, "claims": {}}, "claims", "must be a list"),
        ({"format": "claim-tracker", "version": 1, "extra": 1}, "$.extra", "unknown field"),
        (
            {"format": "claim-tracker", "version": 1, "actors": [{"slug": "a b", "kind": "x"}]},
            "actors[0].slug",
            "is not a slug",
        ),
        (
            {
                "format": "claim-tracker",
                "version": 1,
                "actors": [
                    {"slug": "a", "name": "A", "kind": "media", "parent": "b"},
                    {"slug": "b", "name": "B", "kind": "media", "parent": "a"},
                ],
            },
            "actors[0].parent",
            "parents form a cycle",
        ),
        (
            {
                "format": "claim-tracker",
                "version": 1,
                "sources": [{"slug": "s", "text": "nul \x00 inside"}],
            },
            "sources[0].text",
            "contains a NUL character",
        ),
        (
            {
                "format": "claim-tracker",
                "version": 1,
                "events": [{"slug": "e", "title": "E", "start": "2025-11-27", "end": "2025-11-24"}],
            },
            "events[0].start",
            "2025-11-27 is after end 2025-11-24",
        ),
        (
            {
                "format": "claim-tracker",
                "version": 1,
                "flags": [{"kind": "denial", "state": "dismissed", "detail": "x", "key": ""}],
            },
            "flags[0].dismissed_reason",
            "is required when the flag is dismissed",
        ),
    ],
)
def test_malformed_documents_are_refused_with_the_path_of_the_problem(
    db: None, document: Any, path: str, message: str
) -> None:
    report = transfer.import_dataset(data=document, user=None)

    assert not report.ok
    assert any(p.path == path and message in p.message for p in report.problems), [
        str(p) for p in report.problems
    ]
    assert Actor.objects.count() == Source.objects.count() == Event.objects.count() == 0


def test_changing_a_stored_review_is_refused_because_reviews_are_append_only(
    desk: SimpleNamespace,
) -> None:
    document = _export()
    index = _index(document, lambda c: c["slug"] == desk.first.slug)
    document["claims"][index]["reviews"][0]["rationale"] = "Rewritten after the fact."

    report = transfer.import_dataset(data=document, user=None)

    assert [p.path for p in report.problems] == [f"claims[{index}].reviews[0]"]
    assert "append-only" in report.problems[0].message


def test_a_dry_run_reports_what_would_change_and_stores_nothing(desk: SimpleNamespace) -> None:
    backup = _export()
    _wipe_claims_data()

    report = transfer.import_dataset(data=backup, user=None, dry_run=True)

    assert report.ok and report.dry_run
    assert report.created["claims"] == len(backup["claims"])
    assert report.summary().startswith("Dry run, nothing stored; would have: ")
    assert Claim.objects.count() == Actor.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (b"{not json", "malformed_request", "not valid JSON: Expecting property name"),
        (b"", "malformed_request", "empty"),
        (b"\xff\xfe{}", "malformed_request", "not UTF-8"),
        (b'{"low": NaN}', "malformed_request", "NaN is not a JSON number"),
        (b"[" * 100_000, "malformed_request", "not valid JSON"),
        (b'{"a": "' + b"x" * 200 + b'"}', "too_large", "larger than the limit of 100 bytes"),
    ],
)
def test_unreadable_documents_are_refused_with_one_clear_sentence(
    raw: bytes, code: str, message: str
) -> None:
    with pytest.raises(transfer.TransferError) as refused:
        transfer.parse_document(raw, max_bytes=100 if code == "too_large" else None)

    assert refused.value.code == code
    assert message in str(refused.value)


# ---- export: scope, CSV, query counts ------------------------------------------------------


def test_a_filtered_export_holds_what_its_claims_refer_to_and_loads_on_its_own(
    desk: SimpleNamespace,
) -> None:
    claim = Claim.objects.filter(claimant__parent__isnull=False).order_by("slug").first()
    assert claim is not None
    claims, given = (
        Claim.objects.filter(pk=claim.pk),
        {"claimant": str(claim.claimant_id)},
    )

    document = transfer.export_document(transfer.ExportScope(claims=claims, filters=given))

    assert [c["slug"] for c in document["claims"]] == [claim.slug]
    assert document["filters"] == given
    actors = {a["slug"] for a in document["actors"]}
    assert {claim.claimant.slug, claim.claimant.parent.slug} <= actors  # type: ignore[union-attr]
    assert len(actors) < Actor.objects.count()
    assert all(set(f["claims"]) == {claim.slug} for f in document["flags"])
    _wipe_claims_data()
    report = transfer.import_dataset(data=document, user=None)
    assert report.ok, report.problems
    assert Claim.objects.get().slug == claim.slug


def _csv_rows(scope: transfer.ExportScope, **kwargs: Any) -> list[dict[str, str]]:
    text = "".join(transfer.iter_csv(scope, **kwargs))
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_csv_export_keeps_arabic_and_flattens_the_chain(desk: SimpleNamespace) -> None:
    rows = {r["slug"]: r for r in _csv_rows(transfer.whole_dataset())}

    assert len(rows) == Claim.objects.count()
    for claim in Claim.objects.prefetch_related("appearances"):
        row = rows[claim.slug]
        assert row["text"] == claim.text
        assert len(row["appearances"].splitlines()) == claim.appearances.count()
        assert int(row["independent_root_count"]) >= (1 if claim.appearances.exists() else 0)
    arabic = next(r for r in rows.values() if r["language"] == "ar")
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic["text"])
    # "publisher|url|via": a relay's upstream source is where its chain ends.
    row, (publisher, url, via) = next(
        (r, line.split("|"))
        for r in rows.values()
        for line in r["appearances"].splitlines()
        if not line.endswith("|")
    )
    assert publisher and url
    assert via in row["roots"].splitlines()
    assert rows[desk.first.slug]["latest_review"].startswith("likely_true|demo-editor|")
    assert rows[desk.first.slug]["latest_review"].endswith("|published")


def test_csv_export_can_start_with_a_byte_order_mark_for_excel(desk: SimpleNamespace) -> None:
    with_bom = "".join(transfer.iter_csv(transfer.whole_dataset(), bom=True))
    without = "".join(transfer.iter_csv(transfer.whole_dataset()))

    assert with_bom.encode("utf-8").startswith(b"\xef\xbb\xbfslug,claimant,")
    assert without.startswith("slug,claimant,")


def test_csv_export_applies_the_claim_list_filters(desk: SimpleNamespace) -> None:
    from claims.api.filters import claims_matching

    claims, given = claims_matching({"state": "published", "format": "csv"})
    rows = _csv_rows(transfer.ExportScope(claims=claims, filters=given))

    assert given == {"state": "published"}
    assert [r["slug"] for r in rows] == [desk.first.slug]
    assert rows[0]["state"] == "published"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(
    db: None, text: str
) -> None:
    claim = ClaimFactory(text=text, text_en=text)

    [row] = _csv_rows(transfer.whole_dataset())

    assert row["slug"] == claim.slug
    assert row["text"] == row["text_en"] == "'" + text
    # The JSON export and the database keep the text as written.
    assert transfer.export_document(transfer.whole_dataset())["claims"][0]["text"] == text


def _claims_with_everything(n: int) -> None:
    for _ in range(n):
        claim: Any = ClaimFactory(tags=["t"])
        upstream = AppearanceFactory(claim=claim)
        AppearanceFactory(claim=claim, via=upstream.source)
        QuantityFactory(claim=claim)
        ReviewFactory(claim=claim)
        flag: Any = FlagFactory()
        flag.claims.add(claim)
        flag.sources.add(upstream.source)


def _queries(run: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def test_exports_cost_the_same_queries_for_5_or_50_claims(db: None) -> None:
    def json_export() -> None:
        transfer.export_document(transfer.whole_dataset())

    def csv_export() -> None:
        "".join(transfer.iter_csv(transfer.whole_dataset()))

    _claims_with_everything(5)
    small_json, small_csv = _queries(json_export), _queries(csv_export)
    _claims_with_everything(45)
    large_json, large_csv = _queries(json_export), _queries(csv_export)

    # Expect 15 queries for JSON: actors, places, sources, events and their places, claims
    # with their places, quantities, appearances and reviews, then the flags' claim slugs,
    # the flags, their claims, their sources and the quantity items their keys may name.
    assert small_json == large_json <= 15
    # Expect 7 for CSV: the actor tree, then claims with places, quantities, appearances,
    # reviews and open flags.
    assert small_csv == large_csv <= 7
    assert len(transfer.export_document(transfer.whole_dataset())["claims"]) == 50


def test_an_import_of_50_claims_costs_a_bounded_number_of_queries(db: None) -> None:
    _claims_with_everything(50)
    document = transfer.export_document(transfer.whole_dataset())

    # Nothing differs, so nothing is written: lookups in chunks, a handful per section.
    assert _queries(lambda: transfer.import_dataset(data=document, user=None)) <= 40


# ---- the commands -------------------------------------------------------------------------


def test_export_claims_writes_a_document_that_import_claims_reads_back(
    desk: SimpleNamespace, tmp_path: Path
) -> None:
    out = tmp_path / "backup.json"
    call_command("export_claims", "--out", str(out), stderr=io.StringIO())
    stdout = io.StringIO()

    call_command("import_claims", str(out), stdout=stdout)

    assert json.loads(out.read_text(encoding="utf-8")) == _export()
    assert stdout.getvalue().strip() == "Imported: nothing changed."


def test_export_claims_takes_filters_and_prints_csv(desk: SimpleNamespace) -> None:
    stdout = io.StringIO()

    call_command(
        "export_claims", "--format", "csv", "--claimant", desk.first.claimant.slug, stdout=stdout
    )

    rows = list(csv.DictReader(io.StringIO(stdout.getvalue(), newline="")))
    expected = Claim.objects.filter(claimant=desk.first.claimant).count()
    assert len(rows) == expected
    assert {r["claimant"] for r in rows} == {desk.first.claimant.slug}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--claimant", "nobody"], "--claimant 'nobody': no such actor."),
        (["--state", "finished"], "Bad filter, nothing exported: --state:"),
        (["--updated-since", "yesterday"], "Bad filter, nothing exported: --updated-since:"),
    ],
)
def test_export_claims_refuses_bad_filters(db: None, options: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("export_claims", *options, stdout=io.StringIO())

    assert str(refused.value).startswith(message)


def test_import_claims_refuses_a_bad_document_listing_every_problem(
    desk: SimpleNamespace, tmp_path: Path
) -> None:
    document = _export()
    document["claims"][0]["claimant"] = "no-such-actor"
    document["claims"][1]["stance"] = "shouts"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    stderr, stdout = io.StringIO(), io.StringIO()
    before = _counts()

    with pytest.raises(CommandError) as refused:
        call_command("import_claims", str(path), stdout=stdout, stderr=stderr)

    assert str(refused.value) == "Import refused: 2 problems; nothing was stored."
    assert stderr.getvalue().splitlines() == [
        "  claims[0].claimant: 'no-such-actor' is not an actor in the document or the database",
        "  claims[1].stance: 'shouts' is not one of asserts, denies, claims_responsibility, admits",
    ]
    assert _counts() == before


def test_import_claims_json_report_and_dry_run(desk: SimpleNamespace, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(_export()), encoding="utf-8")
    _wipe_claims_data()
    stdout = io.StringIO()

    call_command("import_claims", str(path), "--dry-run", "--json", stdout=stdout)

    report = json.loads(stdout.getvalue())
    assert report["ok"] and report["dry_run"]
    assert report["created"]["claims"] == 30
    assert report["problems"] == []
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "Import refused: 1 problem; nothing was stored."),
    ],
)
def test_import_claims_exits_non_zero_with_a_clear_message(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "document.json"
    if content is not None:
        path.write_bytes(content)
    # The refusals come before any table is read, so the command's own database will do.
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "manage.py", "import_claims", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
