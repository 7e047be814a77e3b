"""Reading a rule file: TOML parsed, merged over the shipped one, every key checked.

A TOML parser forgets where a key stood, so a mistake is reported here with the file, the line and
the key a volunteer has to fix; the shapes of ``profiles.toml`` and ``cpu_generations.toml`` are
written down once, as schemas of small checkers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput
from refurb.grading.terms import COSMETIC, GRADES
from refurb.i18n import _


@dataclass(frozen=True)
class Source:
    path: Path
    text: str
    data: dict[str, Any]


def _split_key(raw: str) -> list[str]:
    """``profile."job-seeker".require`` -> ['profile', 'job-seeker', 'require']."""
    parts, buf, quote = [], "", ""
    for ch in raw.strip():
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return parts


def _line_of(text: str, path: tuple[Any, ...]) -> int | None:
    """The line where a key path is set (a TOML file has no positions after parsing)."""
    header: list[Any] = []
    counters: dict[tuple[str, ...], int] = {}
    want = list(path)
    header_hit = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            name = tuple(_split_key(line[2 : line.find("]]")]))
            index = counters.get(name, -1) + 1
            counters[name] = index
            header = [*name, index]
            if header == want:
                return lineno
            continue
        if line.startswith("["):
            header = _split_key(line[1 : line.find("]")])
            if header == want:
                header_hit = lineno
            continue
        if "=" not in line:
            continue
        left, right = line.split("=", 1)
        full = header + _split_key(left)
        if full == want:
            return lineno
        if len(want) > len(full) and want[: len(full)] == full:
            rest = str(want[-1])
            if re.search(rf"(?<![\w-])[\"']?{re.escape(rest)}[\"']?\s*=", right):
                return lineno
    return header_hit


def _dotted(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def fail(source: Source | None, path: tuple[Any, ...], problem: str) -> InvalidInput:
    key = _dotted(path)
    if source is None:
        return InvalidInput(_("{key}: {problem}").format(key=key, problem=problem))
    line = _line_of(source.text, path)
    where = f"{source.path}:{line}" if line else str(source.path)
    return InvalidInput(
        _("{where}: {key}: {problem}").format(where=where, key=key, problem=problem),
        _("fix that line, or remove the file to use the shipped rules"),
    )


def read_toml(path: Path) -> Source:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(_("{path}: file not found").format(path=path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("{path}: cannot read: {err}").format(path=path, err=exc)) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        match = re.search(r"line (\d+)", msg)
        where, detail = str(path), ""
        if match:
            lineno = int(match.group(1))
            where = f"{path}:{lineno}"
            lines = text.splitlines()
            if 0 < lineno <= len(lines):
                key = lines[lineno - 1].split("=", 1)[0].strip()
                detail = f" ({key!r})" if key else ""
        raise InvalidInput(
            _("{where}: not valid TOML{detail}: {err}").format(where=where, detail=detail, err=msg),
            _("fix that line, or remove the file to use the shipped rules"),
        ) from exc
    return Source(path, text, data)


def merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


# -- value checkers ------------------------------------------------------------------------------


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v >= 0


def _want_grade(v: Any) -> str | None:
    if isinstance(v, str) and v.upper() in GRADES:
        return None
    return _("expected a grade A, B, C or D, got {value!r}").format(value=v)


def _want_num(v: Any) -> str | None:
    return None if _is_num(v) else _("expected a number, got {value!r}").format(value=v)


def _want_bool(v: Any) -> str | None:
    return (
        None if isinstance(v, bool) else _("expected true or false, got {value!r}").format(value=v)
    )


def _want_str(v: Any) -> str | None:
    return None if isinstance(v, str) else _("expected text, got {value!r}").format(value=v)


def _want_strs(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return None
    return _("expected a list of names, got {value!r}").format(value=v)


def _want_at_least(v: Any) -> str | None:
    if isinstance(v, list) and len(v) == 3 and all(_is_num(x) for x in v) and v[0] >= v[1] >= v[2]:
        return None
    return _("expected three numbers for A, B and C, highest first, got {value!r}").format(value=v)


def _want_at_most(v: Any) -> str | None:
    if isinstance(v, list) and len(v) == 3 and all(_is_num(x) for x in v) and v[0] <= v[1] <= v[2]:
        return None
    return _("expected three numbers for A, B and C, lowest first, got {value!r}").format(value=v)


def _want_resolution(v: Any) -> str | None:
    if isinstance(v, str) and re.fullmatch(r"\d+x\d+", v):
        return None
    return _('expected a resolution like "1024x768", got {value!r}').format(value=v)


def _want_table(v: Any) -> str | None:
    return None if isinstance(v, dict) else _("expected a table, got {value!r}").format(value=v)


GRADES_SCHEMA = {
    "ram_gb": _want_at_least,
    "cpu_year": _want_at_least,
    "storage_gb": _want_at_least,
    "hdd": _want_grade,
    "entry_cpu": _want_grade,
    "cpu_unknown": _want_grade,
    "cpu_32bit": _want_grade,
    "ram_unknown": _want_grade,
    "smart_failed": _want_grade,
    "smart_unknown": _want_grade,
    "no_disk": _want_grade,
    "reallocated_sectors": _want_at_most,
    "pending_sectors": _want_at_most,
    "nvme_percentage_used": _want_at_most,
    "nvme_media_errors": _want_at_most,
    "hdd_power_on_hours": _want_at_most,
    "battery_pct": _want_at_least,
    "no_battery": _want_grade,
    "battery_unknown": _want_grade,
    "not_checked": _want_grade,
}
_CHECK_SCHEMA = {
    "area": lambda v: (
        None
        if v in ("function", "cosmetic")
        else _('expected "function" or "cosmetic", got {value!r}').format(value=v)
    ),
    "label": _want_str,
    "kinds": _want_strs,
    "worn": _want_grade,
    "faulty": _want_grade,
    "missing": _want_grade,
}
_REQUIRE_SCHEMA = {
    "grade": _want_grade,
    "ram_gb": _want_num,
    "storage_gb": _want_num,
    "ssd": _want_bool,
    "healthy_storage": _want_bool,
    "battery_pct": _want_num,
    "cpu_year": _want_num,
    "checks": _want_strs,
    "windows11": _want_bool,
}
_PROFILE_SCHEMA = {
    "description": _want_str,
    "fallback": _want_bool,
    "enabled": _want_bool,
    "require": _want_table,
    "grades": _want_table,
}
_OS_SCHEMA = {
    "name": _want_str,
    "kind": lambda v: (
        None
        if v in ("windows", "linux", "other")
        else _('expected "windows", "linux" or "other", got {value!r}').format(value=v)
    ),
    "arch": _want_strs,
    "supported_cpu": _want_bool,
    "ram_gb": _want_num,
    "storage_gb": _want_num,
    "tpm": lambda v: (
        None
        if isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)?", v)
        else _('expected a version like "2.0", got {value!r}').format(value=v)
    ),
    "secure_boot": _want_bool,
    "cores": _want_num,
    "cpu_mhz": _want_num,
    "screen": _want_resolution,
    "recommended": _want_table,
}
_RECOMMENDED_SCHEMA = {"ram_gb": _want_num, "storage_gb": _want_num}
_TOP_SCHEMA = {
    "schema": _want_num,
    "default": _want_str,
    "grades": _want_table,
    "checks": _want_table,
    "profile": _want_table,
    "os": _want_table,
}


def check_table(
    source: Source, table: Any, schema: Mapping[str, Any], path: tuple[Any, ...]
) -> None:
    if not isinstance(table, dict):
        raise fail(source, path, _("expected a table, got {value!r}").format(value=table))
    for key, value in table.items():
        if key not in schema:
            raise fail(
                source,
                (*path, key),
                _("unknown key (known: {known})").format(known=", ".join(schema)),
            )
        problem = schema[key](value)
        if problem:
            raise fail(source, (*path, key), problem)


def validate_profiles_file(source: Source) -> None:
    """Every key known and well typed; a site file may hold any part of the whole."""
    data = source.data
    check_table(source, data, _TOP_SCHEMA, ())
    check_table(source, data.get("grades", {}), GRADES_SCHEMA, ("grades",))
    for name, check in data.get("checks", {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", name) or name in (COSMETIC, "all"):
            raise fail(source, ("checks", name), _("check names are lower-case words"))
        check_table(source, check, _CHECK_SCHEMA, ("checks", name))
    for name, profile in data.get("profile", {}).items():
        check_table(source, profile, _PROFILE_SCHEMA, ("profile", name))
        check_table(
            source, profile.get("require", {}), _REQUIRE_SCHEMA, ("profile", name, "require")
        )
        check_table(source, profile.get("grades", {}), GRADES_SCHEMA, ("profile", name, "grades"))
    for name, spec in data.get("os", {}).items():
        check_table(source, spec, _OS_SCHEMA, ("os", name))
        check_table(
            source, spec.get("recommended", {}), _RECOMMENDED_SCHEMA, ("os", name, "recommended")
        )


CPU_SCHEMA = {
    "name": _want_str,
    "match": _want_str,
    "year": _want_num,
    "tier": lambda v: (
        None
        if v in ("entry", "mainstream")
        else _('expected "entry" or "mainstream", got {value!r}').format(value=v)
    ),
    "windows11": _want_bool,
    "bits": lambda v: (
        None if v in (32, 64) else _("expected 32 or 64, got {value!r}").format(value=v)
    ),
}
