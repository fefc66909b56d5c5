"""Ingestion end to end on the database: the seed article in, proposed claims out; the same text
twice stores nothing new; a lightly edited copy is linked to its original; bad input is refused
with one line and nothing stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims import ingestion, services
from claims.fetching import FetchPolicy
from claims.models import Actor, Appearance, Claim, Source
from claims.selectors import chain_for_claim

pytestmark = pytest.mark.django_db

ARTICLE = (services.SEEDS_DIR / "article_ar.txt").read_text(encoding="utf-8")
WIRE = (
    "Syria's interior ministry said on Tuesday that its forces arrested 12 members of an "
    "Islamic State cell in the town of al-Dumayr, east of Damascus, after a week-long "
    "operation. The ministry said the cell was planning attacks on checkpoints in Rif Dimashq "
    "and that more than 30 weapons were seized during the raids, according to a statement "
    "carried by the state news agency SANA."
)
EDITED_WIRE = WIRE.replace("on Tuesday", "on Tuesday evening").replace("raids", "raid")


def counts() -> tuple[int, int, int]:
    return Source.objects.count(), Claim.objects.count(), Appearance.objects.count()


def test_ingesting_the_seed_article_again_recognises_the_stored_source(seeded):
    before = counts()
    result = ingestion.ingest_text(text=ARTICLE, publisher="Enab Baladi")
    assert not result.source_created
    assert result.source.slug == "enab-baladi-2025-12-01-centcom-isis"
    assert len(result.claims) == 30
    assert counts() == before


def test_a_republished_copy_of_the_seed_article_becomes_proposed_claims_linked_to_it(seeded):
    import datetime as dt

    copy = "نقلاً عن عنب بلدي:\n" + ARTICLE.replace("الأدميرال", "الأميرال")
    result = ingestion.ingest_text(
        text=copy, publisher="Levant Daily", published=dt.date(2025, 12, 2)
    )
    assert result.source_created
    assert result.near_duplicate_of is not None
    assert result.near_duplicate_of.slug == "enab-baladi-2025-12-01-centcom-isis"
    assert len(result.claims) >= 10
    claimants = {c.claimant.slug for c in result.claims}
    assert {"centcom", "isis"} <= claimants
    assert all(c.state == Claim.State.NEW for c in result.claims)
    operations = [q for c in result.claims for q in c.quantities.all() if q.item == "operations"]
    assert operations and (operations[0].low, operations[0].high) == (23, None)
    places = {p.name_ar for c in result.claims for p in c.places.all()}
    assert "الضمير" in places


def test_ingesting_the_same_text_twice_creates_no_duplicates(seeded):
    first = ingestion.ingest_text(text=WIRE, language="en", publisher="Reuters")
    before = counts()
    again = ingestion.ingest_text(text=WIRE, language="en", publisher="Reuters")
    assert not again.source_created
    assert again.source.pk == first.source.pk
    assert counts() == before


def test_a_lightly_edited_copy_is_linked_to_its_original_so_the_chain_has_one_root(seeded):
    original = ingestion.ingest_text(text=WIRE, language="en", publisher="Reuters")
    copy = ingestion.ingest_text(text=EDITED_WIRE, language="en", publisher="Levant Daily")
    assert copy.near_duplicate_of == original.source
    for claim in copy.claims:
        appearance = claim.appearances.get()
        assert appearance.via_id in (
            original.source.pk,
            *Source.objects.filter(is_placeholder=True).values_list("pk", flat=True),
        )
    assert chain_for_claim(copy.claims[0].pk).report.independent_root_count == 1


def test_accept_puts_proposals_straight_into_review(seeded):
    result = ingestion.ingest_text(text=WIRE, language="en", accept=True)
    assert result.claims and all(c.state == Claim.State.IN_REVIEW for c in result.claims)


def test_an_unknown_claimant_becomes_a_proposed_actor(db):
    text = (
        "Colonel Samir Haddad, a spokesman for the local council, said that 40 families were "
        "displaced from the village after the shelling."
    )
    result = ingestion.ingest_text(text=text, language="en")
    assert result.claims
    claimant = result.claims[0].claimant
    assert claimant.is_proposed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\t  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Привет, это текст на русском языке о погоде.".encode(), "language"),
    ],
    ids=["empty", "blank", "binary", "unknown-language"],
)
def test_bad_files_are_refused_with_one_line_and_nothing_is_stored(
    db, tmp_path: Path, content: bytes, message: str
):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    before = counts()
    with pytest.raises(CommandError) as refused:
        call_command("ingest", str(path))
    assert message in str(refused.value).lower()
    assert "\n" not in str(refused.value)
    assert counts() == before


def test_a_missing_file_a_huge_file_and_a_bad_date_are_refused(db, tmp_path: Path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest", str(tmp_path / "absent.txt"))
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    with pytest.raises(CommandError, match="5 MB"):
        call_command("ingest", str(huge))
    ok = tmp_path / "ok.txt"
    ok.write_text(WIRE, encoding="utf-8")
    with pytest.raises(CommandError, match="not a date"):
        call_command("ingest", str(ok), published="12/11/2025")
    assert counts() == (0, 0, 0)


def test_an_unsupported_language_option_is_one_line_and_stores_nothing(db, tmp_path: Path):
    ok = tmp_path / "ok.txt"
    ok.write_text(WIRE, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("ingest", str(ok), "--language", "fr")
    assert str(refused.value) == "--language 'fr' is not supported (ar or en)."
    assert counts() == (0, 0, 0)


def test_windows_1256_arabic_is_decoded_not_garbled(db, tmp_path: Path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(ARTICLE.encode("cp1256", errors="ignore"))
    call_command("ingest", str(path), publisher="Enab Baladi", published="2025-12-01")
    assert "القيادة المركزية" in Source.objects.get().text


def test_latin_1_text_is_decoded_not_garbled(db, tmp_path: Path):
    text = WIRE.replace("Syria's", "Syria’s").replace(
        "SANA", "SANA (Agence arabe syrienne d’information, café réservé)"
    )
    path = tmp_path / "latin1.txt"
    path.write_bytes(text.replace("’", "'").encode("latin-1"))
    call_command("ingest", str(path), language="en")
    assert "café réservé" in Source.objects.get().text


def test_ingest_json_prints_the_source_and_each_claim_in_the_documented_shape(
    seeded, tmp_path: Path, capsys
):
    path = tmp_path / "wire.txt"
    path.write_text(WIRE, encoding="utf-8")
    call_command(
        "ingest",
        str(path),
        "--json",
        language="en",
        publisher="Reuters",
        published="2025-11-25",
        via=["https://www.sana.sy/en/?p=1"],
    )
    data = json.loads(capsys.readouterr().out)
    assert data["source"]["publisher"] == "Reuters"
    claim = data["claims"][0]
    assert set(claim) >= {
        "id",
        "text",
        "claimant",
        "verb",
        "stance",
        "via",
        "quantities",
        "event_start",
        "event_end",
        "places",
    }
    assert any(q["item"] for q in claim["quantities"])


class Article(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            "<html><head><title>CENTCOM destroys weapons sites</title></head><body><article>"
            f"<p>{WIRE}</p></article></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Article)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/story"
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_is_fetched_and_ingested_once(db, site):
    local = FetchPolicy(allow_loopback=True)
    first = ingestion.ingest_url(url=site, language="en", policy=local)
    assert first.source.title == "CENTCOM destroys weapons sites"
    assert first.source.html_sha256 and first.claims
    again = ingestion.ingest_url(url=site, policy=local)
    assert again.source.pk == first.source.pk and not again.source_created


def test_a_url_on_a_private_address_is_refused_and_nothing_is_stored(db):
    with pytest.raises(ingestion.IngestError, match=r"10\.0\.0\.5"):
        ingestion.ingest_url(url="http://10.0.0.5/story")
    assert counts() == (0, 0, 0)
    assert not Actor.objects.exists()
