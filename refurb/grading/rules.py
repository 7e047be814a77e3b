"""The rules as data: profiles, checks, OS requirements and processor families.

The shipped ``refurb/data/profiles.toml`` and ``cpu_generations.toml`` are read with a site's
file of the same name over them, so a programme changes a threshold without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput
from refurb.grading.rulefile import (
    CPU_SCHEMA,
    GRADES_SCHEMA,
    Source,
    _want_grade,
    check_table,
    fail,
    merge,
    read_toml,
    validate_profiles_file,
)
from refurb.grading.terms import DEFAULT_CHECK_KINDS, check_labels
from refurb.i18n import _

DATA_DIR = Path(__file__).parent.parent / "data"
PROFILES_FILE = "profiles.toml"
CPU_FILE = "cpu_generations.toml"


@dataclass(frozen=True)
class CheckRule:
    name: str
    area: str
    grades: dict[str, str]  # answer -> grade cap (ok is A)
    label: str | None = None
    kinds: tuple[str, ...] = DEFAULT_CHECK_KINDS

    def display(self) -> str:
        return self.label or check_labels().get(self.name, self.name)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    require: dict[str, Any]
    grades: dict[str, Any]
    fallback: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "fallback": self.fallback,
            "require": self.require,
            "grades": self.grades,
        }


@dataclass(frozen=True)
class CpuRule:
    name: str
    pattern: re.Pattern[str]
    year: int | None
    tier: str | None
    windows11: bool | None
    bits: int | None = None


@dataclass
class Rules:
    """Everything grading reads from data: profiles, checks, OS requirements, CPU families."""

    profiles: dict[str, Profile]
    default: str
    checks: dict[str, CheckRule]
    os: dict[str, dict[str, Any]]
    cpu_rules: list[CpuRule]
    sources: list[Path] = field(default_factory=list)
    kind: str = "laptop"

    def profile(self, name: str | None) -> Profile:
        """The named profile (or the default); an unknown name lists the known ones."""
        key = (name or self.default).strip()
        if key in self.profiles:
            return self.profiles[key]
        raise InvalidInput(
            _("unknown profile {name!r}; known profiles: {known}").format(
                name=key, known=", ".join(self.profiles)
            ),
            _("`refurb grade profiles` lists them with what each requires"),
        )


def load_rules(config_dir: Path | None = None, kind: str = "laptop") -> Rules:
    """The shipped rules, with the site's ``profiles.toml`` / ``cpu_generations.toml`` over them.

    ``checks`` holds the checks asked for ``kind`` (a laptop unless said otherwise).
    """
    shipped = read_toml(DATA_DIR / PROFILES_FILE)
    sources = [shipped]
    site_path = config_dir / PROFILES_FILE if config_dir is not None else None
    if site_path is not None and site_path.is_file():
        sources.append(read_toml(site_path))
    merged: dict[str, Any] = {}
    for source in sources:
        validate_profiles_file(source)
        merged = merge(merged, source.data)

    def origin(path: tuple[Any, ...]) -> Source:
        for source in reversed(sources):
            node: Any = source.data
            try:
                for part in path:
                    node = node[part]
            except (KeyError, TypeError, IndexError):
                continue
            return source
        return sources[-1]

    checks: dict[str, CheckRule] = {}
    for name, raw in merged.get("checks", {}).items():
        if "area" not in raw:
            raise fail(origin(("checks", name)), ("checks", name), _("missing key 'area'"))
        grades = {"ok": "A"}
        for answer in ("worn", "faulty", "missing"):
            grades[answer] = str(raw.get(answer, {"worn": "B"}.get(answer, "D"))).upper()
        kinds = tuple(raw.get("kinds", DEFAULT_CHECK_KINDS))
        checks[name] = CheckRule(name, raw["area"], grades, raw.get("label"), kinds)

    base_grades = _letters_upper(merged.get("grades", {}))
    missing = [k for k in GRADES_SCHEMA if k not in base_grades]
    if missing:
        raise fail(
            origin(("grades",)),
            ("grades",),
            _("missing keys: {keys}").format(keys=", ".join(missing)),
        )

    profiles: dict[str, Profile] = {}
    for name, raw in merged.get("profile", {}).items():
        if raw.get("enabled", True) is False:
            continue
        require = dict(raw.get("require", {}))
        for check in require.get("checks", []):
            if check not in checks:
                raise fail(
                    origin(("profile", name, "require", "checks")),
                    ("profile", name, "require", "checks"),
                    _("unknown check {check!r} (known: {known})").format(
                        check=check, known=", ".join(checks)
                    ),
                )
        if "grade" in require:
            require["grade"] = str(require["grade"]).upper()
        grades = merge(base_grades, _letters_upper(raw.get("grades", {})))
        profiles[name] = Profile(
            name, raw.get("description", ""), require, grades, bool(raw.get("fallback", False))
        )
    if not profiles:
        raise fail(origin(("profile",)), ("profile",), _("no profile is enabled"))
    default = merged.get("default") or next(iter(profiles))
    if default not in profiles:
        raise fail(
            origin(("default",)),
            ("default",),
            _("unknown profile {name!r}; known profiles: {known}").format(
                name=default, known=", ".join(profiles)
            ),
        )
    os_specs = {k: v for k, v in merged.get("os", {}).items()}
    for name, spec in os_specs.items():
        if "kind" not in spec:
            raise fail(origin(("os", name)), ("os", name), _("missing key 'kind'"))
    return Rules(
        profiles,
        default,
        {name: rule for name, rule in checks.items() if kind in rule.kinds},
        os_specs,
        load_cpu_rules(config_dir),
        [s.path for s in sources],
        kind,
    )


def _letters_upper(grades: dict[str, Any]) -> dict[str, Any]:
    """A grades table with its letters as the grader compares them: validation takes ``"b"``
    as B, so the stored value must be ``"B"`` too."""
    return {
        k: v.upper() if GRADES_SCHEMA.get(k) is _want_grade and isinstance(v, str) else v
        for k, v in grades.items()
    }


def load_cpu_rules(config_dir: Path | None = None) -> list[CpuRule]:
    """Processor families in match order: the site's rules first, then the shipped ones."""
    paths = []
    if config_dir is not None and (config_dir / CPU_FILE).is_file():
        paths.append(config_dir / CPU_FILE)
    paths.append(DATA_DIR / CPU_FILE)
    rules: list[CpuRule] = []
    for path in paths:
        source = read_toml(path)
        if set(source.data) - {"cpu"}:
            extra = sorted(set(source.data) - {"cpu"})[0]
            raise fail(source, (extra,), _("unknown key (known: {known})").format(known="cpu"))
        entries = source.data.get("cpu", [])
        if not isinstance(entries, list):
            raise fail(source, ("cpu",), _("expected [[cpu]] tables"))
        for index, entry in enumerate(entries):
            check_table(source, entry, CPU_SCHEMA, ("cpu", index))
            for key in ("name", "match"):
                if key not in entry:
                    raise fail(source, ("cpu", index), _("missing key {key!r}").format(key=key))
            try:
                pattern = re.compile(entry["match"], re.IGNORECASE)
            except re.error as exc:
                raise fail(
                    source,
                    ("cpu", index, "match"),
                    _("not a valid regular expression: {err}").format(err=exc),
                ) from exc
            year = entry.get("year")
            rules.append(
                CpuRule(
                    entry["name"],
                    pattern,
                    int(year) if year is not None else None,
                    entry.get("tier"),
                    entry.get("windows11"),
                    entry.get("bits"),
                )
            )
    return rules


@dataclass(frozen=True)
class CpuClass:
    model: str | None
    family: str | None
    year: int | None
    tier: str | None
    windows11: bool | None
    bits: int | None = None


def classify_cpu(model: str | None, rules: Iterable[CpuRule]) -> CpuClass:
    """Which family a processor name belongs to (first matching rule), or unknown."""
    if not model:
        return CpuClass(None, None, None, None, None)
    clean = re.sub(r"\s+", " ", model).strip()
    for rule in rules:
        if rule.pattern.search(clean):
            return CpuClass(clean, rule.name, rule.year, rule.tier, rule.windows11, rule.bits)
    return CpuClass(clean, None, None, None, None)
