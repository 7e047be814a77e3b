"""docs/cli.md is generated from --help and must not drift from it."""

from pathlib import Path

from cogapp import Cog

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current(monkeypatch):
    monkeypatch.chdir(ROOT)
    status = Cog().main(["cog", "--check", str(ROOT / "docs" / "cli.md")])
    assert status == 0, "docs/cli.md is out of date: run `cog -r docs/cli.md`"


def test_every_command_is_documented():
    from typer.main import get_command

    from refurb.cli import app

    text = (ROOT / "docs" / "cli.md").read_text()

    def walk(cmd, path):
        yield path
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            yield from walk(sub, [*path, name])

    for path in walk(get_command(app), []):
        assert "## " + " ".join(["refurb", *path]) + "\n" in text


def test_docs_point_at_files_that_exist():
    import re

    root = Path(__file__).resolve().parents[1]
    missing = []
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for path in re.findall(r"`((?:refurb|tests|benchmarks|docs)/[\w./-]+)`", doc.read_text()):
            if not (root / path).exists():
                missing.append(f"{doc.name}: {path}")
    assert not missing, missing
