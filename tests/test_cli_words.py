"""Click's and Typer's own words (Usage, Options, usage errors) follow the user's language."""

from __future__ import annotations

import pytest

ENGLISH = (
    "Usage:",
    "Options:",
    "Arguments:",
    "Commands:",
    "Show this message",
    "[default:",
    "[required]",
    "[env var:",
    "Try '",
    "Error:",
    "No such option",
    "No such command",
    "Missing argument",
    "Missing option",
    "Invalid value",
    "Possible options",
    "requires an argument",
    "unexpected extra",
)


def _paths():
    import typer

    from refurb.cli import app

    root = typer.main.get_command(app)
    found = []

    def walk(cmd, path):
        found.append((path, cmd))
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, [*path, name])

    walk(root, [])
    return found


PATHS = [(path, cmd) for path, cmd in _paths()]


def _english_left(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_help_page_is_free_of_click_english(run_cli, lang):
    bad = {}
    for path, _cmd in PATHS:
        result = run_cli("--lang", lang, *path, "--help", expect=0)
        left = _english_left(result.stdout)
        if left:
            bad[" ".join(path) or "refurb"] = left
    assert not bad, bad


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_common_usage_errors_are_translated(run_cli, lang):
    bad = {}
    for path, cmd in PATHS:
        cases = [[*path, "--no-such-option"]]
        if getattr(cmd, "commands", None):
            cases.append([*path, "no-such-command"])
        elif any(getattr(p, "required", False) for p in cmd.params):
            cases.append(list(path))
        for args in cases:
            result = run_cli("--lang", lang, *args)
            assert result.exit_code in (1, 2), (args, result)  # grade ASSET takes any word
            left = _english_left(result.stderr)
            if left:
                bad[" ".join(args)] = left
    assert not bad, bad


def test_english_usage_errors_are_clicks_own(run_cli):
    result = run_cli("intake", "new", "--serail", "X")
    assert result.exit_code == 2
    assert "Usage: refurb intake new [OPTIONS]" in result.stderr
    assert "Error: No such option: --serail (Possible options: --serial)" in result.stderr


def test_bad_choice_and_number_in_dutch(run_cli):
    result = run_cli("--lang", "nl", "list", "--limit", "abc")
    assert result.exit_code == 2
    assert "Ongeldige waarde voor '--limit': er is een geheel getal nodig." in result.stderr
    assert "Gebruik: refurb list [OPTIES]" in result.stderr


def test_the_config_language_applies_to_help(run_cli, refurb_home):
    run_cli("init", "--lang", "fr", expect=0)
    result = run_cli("wipe", "run", "--help", expect=0)
    assert (
        "Utilisation : refurb wipe run" in result.stdout and "[par défaut : auto]" in result.stdout
    )
