"""Statuses, erasure methods and results are shown in the user's words; the codes stay typed.

`ready` and `in_progress` keep working as input in every language, and no English status or
method name is left in Dutch or French sentences and tables (`show`, `list`, `status`, `stock`,
`wipe run`).
"""

from __future__ import annotations

import re

import pytest
from support_wipe import loop_device, random_file

from refurb.wipe.blockio import MiB

# English codes and words that differ from their Dutch and French names.
ENGLISH = (
    "in_progress",
    "on_loan",
    "handed_out",
    "ready",
    "quarantine",
    "recycled",
    "erased",
    "erased_with_exceptions",
    "overwrite",
    "failed",
    "interrupted",
    "zero",
    "prng",
    "passed",
)
WORDS = {
    "nl": ("in bewerking", "klaar", "binnengekomen"),
    "fr": ("en cours", "prêt", "reçu"),
}


def english_left(text: str) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_status_names_in_the_users_words(run_cli, initialized, lang):
    asset = run_cli("intake", "new", "--kind", "screen", "--json", expect=0).json["asset_id"]
    moved = run_cli("--lang", lang, "status", asset, "in_progress", expect=0)  # typed: the code
    refused = run_cli("--lang", lang, "status", asset, "in_progress")  # already there
    assert refused.exit_code == 1
    listed = run_cli("--lang", lang, "list", expect=0)
    shown = run_cli("--lang", lang, "show", asset, expect=0)
    stock = run_cli("--lang", lang, "stock", expect=0)
    refusal = first_line(refused.stderr)
    for text in (moved.stdout, refusal, listed.stdout, shown.stdout, stock.stdout):
        assert english_left(text) == [], text
    assert WORDS[lang][2] in moved.stdout and WORDS[lang][0] in moved.stdout
    assert WORDS[lang][0] in refusal and WORDS[lang][0] in listed.stdout
    assert WORDS[lang][0] in shown.stdout and WORDS[lang][0] in stock.stdout
    # JSON keeps the codes a script compares
    data = run_cli("--lang", lang, "list", "--json", expect=0).json
    assert data[0]["status"] == "in_progress"


def test_english_shows_the_codes_to_type(run_cli, initialized):
    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    moved = run_cli("status", asset, "in_progress", expect=0)
    assert "intake → in_progress" in moved.stdout


@pytest.mark.root
@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_erasure_method_and_result_in_the_users_words(tmp_path, run_cli, initialized, lang):
    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    with loop_device(random_file(tmp_path / "disk.img", 8 * MiB)) as dev:
        result = run_cli(
            "--lang", lang, "wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero",
            expect=0,
        )  # fmt: skip
    plan = [line for line in result.stderr.splitlines() if dev in line][0]
    assert english_left(plan) == [], plan
    assert english_left(result.stdout) == [], result.stdout
    assert {"nl": "gewist", "fr": "effacé"}[lang] in result.stdout
    assert {"nl": "nullen", "fr": "zéros"}[lang] in plan + result.stdout
