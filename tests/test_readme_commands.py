"""Every command in the README's "Using it" is one refurb has, with options it takes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

README = Path(__file__).resolve().parents[1] / "README.md"


def _using_it() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Using it", 1)[1]
    blocks = re.findall(r"```sh\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = re.split(r"\s{2,}#", line, maxsplit=1)[0].strip()
            for part in line.split("&&"):
                part = part.strip()
                words = part.split()
                if words[:1] == ["sudo"] and words[1:2] == ["refurb"]:
                    part = part[len("sudo ") :]
                if part.startswith("refurb "):
                    lines.append(part)
    return lines


COMMANDS = _using_it()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize("line", COMMANDS)
def test_a_readme_command_parses(line: str):
    from refurb.cli import app

    argv = shlex.split(line)[1:]
    command = typer.main.get_command(app)
    ctx = command.make_context("refurb", list(argv))
    names = [command.name]
    while isinstance(command, TyperGroup):
        args = [*ctx._protected_args, *ctx.args]
        if not args:
            break
        sub = command.get_command(ctx, args[0])
        assert sub is not None, f"{line}: no command {' '.join(names[1:] + [args[0]])}"
        names.append(args[0])
        ctx = sub.make_context(args[0], args[1:], parent=ctx)
        command = sub
    if isinstance(command, TyperGroup):
        assert command.invoke_without_command, f"{line}: {' '.join(names)} needs a subcommand"
