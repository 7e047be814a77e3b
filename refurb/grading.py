"""Grading: a probe plus the volunteer's answers -> a grade A-D, the profiles it fits, and why.

The rules are data (``refurb/data/profiles.toml`` and ``cpu_generations.toml``, each overridable
by a file of the same name in the site's config folder) so that a programme can change a threshold
without touching code. A grade is the worst of five areas: specs, storage (SMART health), battery,
cosmetic and function; every area that is not an A says why in plain words. Windows 11 and Linux
readiness are reported beside the grade because they decide which operating system goes on.

Nothing here prints or asks: the command asks the questions and passes the answers in.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refurb import disks as disk_model
from refurb import units
from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.specs import battery_health_pct

DATA_DIR = Path(__file__).parent / "data"
PROFILES_FILE = "profiles.toml"
CPU_FILE = "cpu_generations.toml"

GRADES = ("A", "B", "C", "D")
AREAS = ("specs", "storage", "battery", "cosmetic", "function")
ANSWERS = ("ok", "worn", "faulty", "missing", "not_checked")
ANSWER_KEYS = {"o": "ok", "w": "worn", "f": "faulty", "m": "missing", "n": "not_checked"}
COSMETIC = "cosmetic"
# The kinds of device a check is asked for unless its [checks.X] says `kinds = [...]`.
DEFAULT_CHECK_KINDS = ("laptop", "desktop")

# Chassis types (DMI) that have no battery by design: the battery area does not apply.
_NO_BATTERY_CHASSIS = {
    "desktop",
    "low profile desktop",
    "pizza box",
    "mini tower",
    "tower",
    "all in one",
    "space-saving",
    "lunch box",
    "main server chassis",
    "rack mount chassis",
    "mini pc",
    "stick pc",
    "sealed-case pc",
    "multi-system chassis",
}
_ARCH_32 = {"i386", "i486", "i586", "i686", "x86", "armv7l", "armhf", "armv6l"}
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}


def _check_labels() -> dict[str, str]:
    return {
        "screen": _("screen"),
        "keyboard": _("keyboard"),
        "touchpad": _("touchpad"),
        "webcam": _("webcam"),
        "wifi": _("Wi-Fi"),
        "audio": _("audio"),
        "usb": _("USB ports"),
        "hinges": _("hinges"),
        "case": _("case"),
        "touchscreen": _("touchscreen"),
        "buttons": _("buttons"),
        "charging": _("charging"),
        "battery_life": _("battery life"),
        "power": _("power"),
        "panel": _("panel (backlight, colours)"),
        "dead_pixels": _("dead pixels"),
        "cables": _("cables"),
        COSMETIC: _("cosmetic condition"),
    }


def answer_label(answer: str) -> str:
    """An answer in the active language (the stored value stays the English token)."""
    return {
        "ok": _("ok"),
        "worn": _("worn"),
        "faulty": _("faulty"),
        "missing": _("missing"),
        "not_checked": _("not checked"),
    }.get(answer, answer)


# ================================================================================================
# Rule files: loading, merging, validation with the file, line and key of every mistake
# ================================================================================================


@dataclass(frozen=True)
class _Source:
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


def _fail(source: _Source | None, path: tuple[Any, ...], problem: str) -> InvalidInput:
    key = _dotted(path)
    if source is None:
        return InvalidInput(_("{key}: {problem}").format(key=key, problem=problem))
    line = _line_of(source.text, path)
    where = f"{source.path}:{line}" if line else str(source.path)
    return InvalidInput(
        _("{where}: {key}: {problem}").format(where=where, key=key, problem=problem),
        _("fix that line, or remove the file to use the shipped rules"),
    )


def _read_toml(path: Path) -> _Source:
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
    return _Source(path, text, data)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
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


_GRADES_SCHEMA = {
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


def _check_table(
    source: _Source, table: Any, schema: Mapping[str, Any], path: tuple[Any, ...]
) -> None:
    if not isinstance(table, dict):
        raise _fail(source, path, _("expected a table, got {value!r}").format(value=table))
    for key, value in table.items():
        if key not in schema:
            raise _fail(
                source,
                (*path, key),
                _("unknown key (known: {known})").format(known=", ".join(schema)),
            )
        problem = schema[key](value)
        if problem:
            raise _fail(source, (*path, key), problem)


def _validate_profiles_file(source: _Source) -> None:
    """Every key known and well typed; a site file may hold any part of the whole."""
    data = source.data
    _check_table(source, data, _TOP_SCHEMA, ())
    _check_table(source, data.get("grades", {}), _GRADES_SCHEMA, ("grades",))
    for name, check in data.get("checks", {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", name) or name in (COSMETIC, "all"):
            raise _fail(source, ("checks", name), _("check names are lower-case words"))
        _check_table(source, check, _CHECK_SCHEMA, ("checks", name))
    for name, profile in data.get("profile", {}).items():
        _check_table(source, profile, _PROFILE_SCHEMA, ("profile", name))
        _check_table(
            source, profile.get("require", {}), _REQUIRE_SCHEMA, ("profile", name, "require")
        )
        _check_table(source, profile.get("grades", {}), _GRADES_SCHEMA, ("profile", name, "grades"))
    for name, spec in data.get("os", {}).items():
        _check_table(source, spec, _OS_SCHEMA, ("os", name))
        _check_table(
            source, spec.get("recommended", {}), _RECOMMENDED_SCHEMA, ("os", name, "recommended")
        )


@dataclass(frozen=True)
class CheckRule:
    name: str
    area: str
    grades: dict[str, str]  # answer -> grade cap (ok is A)
    label: str | None = None
    kinds: tuple[str, ...] = DEFAULT_CHECK_KINDS

    def display(self) -> str:
        return self.label or _check_labels().get(self.name, self.name)


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
    shipped = _read_toml(DATA_DIR / PROFILES_FILE)
    sources = [shipped]
    site_path = config_dir / PROFILES_FILE if config_dir is not None else None
    if site_path is not None and site_path.is_file():
        sources.append(_read_toml(site_path))
    merged: dict[str, Any] = {}
    for source in sources:
        _validate_profiles_file(source)
        merged = _merge(merged, source.data)

    def origin(path: tuple[Any, ...]) -> _Source:
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
            raise _fail(origin(("checks", name)), ("checks", name), _("missing key 'area'"))
        grades = {"ok": "A"}
        for answer in ("worn", "faulty", "missing"):
            grades[answer] = str(raw.get(answer, {"worn": "B"}.get(answer, "D"))).upper()
        kinds = tuple(raw.get("kinds", DEFAULT_CHECK_KINDS))
        checks[name] = CheckRule(name, raw["area"], grades, raw.get("label"), kinds)

    base_grades = {k: v for k, v in merged.get("grades", {}).items()}
    missing = [k for k in _GRADES_SCHEMA if k not in base_grades]
    if missing:
        raise _fail(
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
                raise _fail(
                    origin(("profile", name, "require", "checks")),
                    ("profile", name, "require", "checks"),
                    _("unknown check {check!r} (known: {known})").format(
                        check=check, known=", ".join(checks)
                    ),
                )
        if "grade" in require:
            require["grade"] = str(require["grade"]).upper()
        grades = _merge(base_grades, raw.get("grades", {}))
        profiles[name] = Profile(
            name, raw.get("description", ""), require, grades, bool(raw.get("fallback", False))
        )
    if not profiles:
        raise _fail(origin(("profile",)), ("profile",), _("no profile is enabled"))
    default = merged.get("default") or next(iter(profiles))
    if default not in profiles:
        raise _fail(
            origin(("default",)),
            ("default",),
            _("unknown profile {name!r}; known profiles: {known}").format(
                name=default, known=", ".join(profiles)
            ),
        )
    os_specs = {k: v for k, v in merged.get("os", {}).items()}
    for name, spec in os_specs.items():
        if "kind" not in spec:
            raise _fail(origin(("os", name)), ("os", name), _("missing key 'kind'"))
    return Rules(
        profiles,
        default,
        {name: rule for name, rule in checks.items() if kind in rule.kinds},
        os_specs,
        load_cpu_rules(config_dir),
        [s.path for s in sources],
        kind,
    )


_CPU_SCHEMA = {
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


def load_cpu_rules(config_dir: Path | None = None) -> list[CpuRule]:
    """Processor families in match order: the site's rules first, then the shipped ones."""
    paths = []
    if config_dir is not None and (config_dir / CPU_FILE).is_file():
        paths.append(config_dir / CPU_FILE)
    paths.append(DATA_DIR / CPU_FILE)
    rules: list[CpuRule] = []
    for path in paths:
        source = _read_toml(path)
        if set(source.data) - {"cpu"}:
            extra = sorted(set(source.data) - {"cpu"})[0]
            raise _fail(source, (extra,), _("unknown key (known: {known})").format(known="cpu"))
        entries = source.data.get("cpu", [])
        if not isinstance(entries, list):
            raise _fail(source, ("cpu",), _("expected [[cpu]] tables"))
        for index, entry in enumerate(entries):
            _check_table(source, entry, _CPU_SCHEMA, ("cpu", index))
            for key in ("name", "match"):
                if key not in entry:
                    raise _fail(source, ("cpu", index), _("missing key {key!r}").format(key=key))
            try:
                pattern = re.compile(entry["match"], re.IGNORECASE)
            except re.error as exc:
                raise _fail(
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


# ================================================================================================
# Facts: what the probe says, in the units grading uses
# ================================================================================================


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


@dataclass
class Facts:
    cpu: CpuClass
    arch: str | None
    cores: int | None
    max_mhz: float | None
    base_mhz: float | None  # the "@ 1.60GHz" in the name: a lower bound when max_mhz is unknown
    ram_gb: float | None
    ram_estimated: bool
    disks: list[dict[str, Any]]  # internal disks (not USB sticks)
    main_disk: dict[str, Any] | None
    storage_kind: str | None  # "ssd" | "hdd" | None
    batteries: list[dict[str, Any]]
    battery_pct: float | None  # the batteries' pooled health (refurb.specs)
    battery_expected: bool
    tpm: str | None
    secure_boot: bool | None  # True on, False off/absent, None unknown
    secure_boot_capable: bool | None
    screen: tuple[int, int] | None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def _disk_kind(disk: Mapping[str, Any]) -> str | None:
    protocol = str(disk.get("protocol") or "").upper()
    if protocol == "NVME":
        return "ssd"
    rotational = disk.get("rotational")
    if rotational is True:
        return "hdd"
    if rotational is False:
        return "ssd"
    return None


def _secure_boot(value: Any) -> tuple[bool | None, bool | None]:
    """(enabled, capable) from the probe's ``secure_boot`` (bool, text or a small table)."""
    if isinstance(value, Mapping):
        enabled = value.get("enabled")
        capable = value.get("capable", value.get("supported"))
        enabled = enabled if isinstance(enabled, bool) else None
        if not isinstance(capable, bool):
            capable = True if enabled else None
        return enabled, capable
    if isinstance(value, bool):
        return value, True if value else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("enabled", "on", "true", "yes", "1"):
            return True, True
        if word in ("disabled", "off", "false", "no", "0", "setup mode", "setup"):
            return False, True
        if word in ("unsupported", "not supported", "legacy", "bios"):
            return False, False
    return None, None


def _tpm_version(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("version")
    if value is None:
        return None
    text = str(value).strip()
    match = re.search(r"\d+(?:\.\d+)?", text)
    if not match:
        return None
    found = match.group(0)
    return found if "." in found else f"{found}.0"


def _resolution(displays: Any) -> tuple[int, int] | None:
    if not isinstance(displays, list):
        return None
    for display in displays:
        if isinstance(display, Mapping):
            match = re.fullmatch(
                r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(display.get("native_resolution") or "")
            )
            if match:
                return int(match.group(1)), int(match.group(2))
    return None


def facts_from_probe(probe: Mapping[str, Any], cpu_rules: Iterable[CpuRule]) -> Facts:
    """Pull the facts grading needs out of a ``refurb.probe/1`` dict; unknown stays None."""

    def table(key: str) -> Mapping[str, Any]:
        value = probe.get(key)
        return value if isinstance(value, Mapping) else {}

    cpu = table("cpu")
    memory = table("memory")
    system = table("system")

    installed = _num(memory.get("installed_bytes"))
    usable = _num(memory.get("usable_bytes"))
    ram_gb: float | None = None
    estimated = False
    if installed and installed > 0:
        ram_gb = round(installed / 2**30, 2)
    elif usable and usable > 0:
        # Firmware and graphics keep some memory back; round up to what was fitted.
        ram_gb = float(math.ceil(usable / 2**30 - 0.05))
        estimated = True

    raw_disks = probe.get("disks") if isinstance(probe.get("disks"), list) else []
    disks = [d for d in raw_disks if isinstance(d, Mapping) and disk_model.is_internal(d)]
    main = max(disks, key=lambda d: _num(d.get("size_bytes")) or 0, default=None)

    raw_bats = probe.get("batteries") if isinstance(probe.get("batteries"), list) else []
    batteries = [b for b in raw_bats if isinstance(b, Mapping)]
    battery_pct = battery_health_pct(batteries)
    chassis = str(system.get("chassis_type") or "").strip().lower()

    model = cpu.get("model") if isinstance(cpu.get("model"), str) else None
    family = classify_cpu(model, cpu_rules)
    arch = str(cpu.get("arch") or "").strip().lower() or None
    arch = _ARCH_ALIASES.get(arch, arch) if arch else None
    if arch is None and family.year is not None:
        # A dated x86 family (read from DMI alone): 64-bit unless the data says otherwise.
        arch = "i686" if family.bits == 32 else "x86_64"
    enabled, capable = _secure_boot(probe.get("secure_boot"))
    cores = _num(cpu.get("cores"))
    max_mhz = _num(cpu.get("max_mhz"))
    base = re.search(r"@\s*(\d+(?:\.\d+)?)\s*GHz", model or "", re.IGNORECASE)
    return Facts(
        cpu=family,
        arch=arch,
        cores=int(cores) if cores else None,
        max_mhz=max_mhz,
        base_mhz=float(base.group(1)) * 1000 if base else None,
        ram_gb=ram_gb,
        ram_estimated=estimated,
        disks=[dict(d) for d in disks],
        main_disk=dict(main) if main is not None else None,
        storage_kind=_disk_kind(main) if main is not None else None,
        batteries=[dict(b) for b in batteries],
        battery_pct=battery_pct,
        battery_expected=chassis not in _NO_BATTERY_CHASSIS,
        tpm=_tpm_version(probe.get("tpm")),
        secure_boot=enabled,
        secure_boot_capable=capable,
        screen=_resolution(probe.get("displays")),
    )


# ================================================================================================
# Grading
# ================================================================================================


@dataclass(frozen=True)
class Finding:
    """One reason an area is not an A: the area, the grade it allows, and the plain words."""

    area: str
    grade: str
    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"area": self.area, "grade": self.grade, "code": self.code, "text": self.text}


def worst(grades: Iterable[str | None]) -> str:
    found = [g for g in grades if g]
    return max(found, key=GRADES.index) if found else "A"


def _at_least(value: float, limits: list[float]) -> str:
    for grade, limit in zip(GRADES, limits, strict=False):
        if value >= limit:
            return grade
    return "D"


def _at_most(value: float, limits: list[float]) -> str:
    for grade, limit in zip(GRADES, limits, strict=False):
        if value <= limit:
            return grade
    return "D"


def fmt_num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _gb(size_bytes: Any) -> float | None:
    """A disk's size in GB as it was sold (``refurb.units``): what the label says, and what the
    makers' requirements (Windows 11's "64 GB") mean."""
    size = units.sold_gb(_num(size_bytes))
    return round(size, 1) if size else None


def disk_name(disk: Mapping[str, Any]) -> str:
    return str(disk.get("model") or disk.get("name") or disk.get("serial") or _("disk"))


def _grade_specs(facts: Facts, g: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if facts.arch in _ARCH_32:
        out.append(
            Finding(
                "specs",
                g["cpu_32bit"],
                "cpu_32bit",
                _("32-bit processor: no current operating system runs on it"),
            )
        )
    if facts.ram_gb is None:
        out.append(Finding("specs", g["ram_unknown"], "ram_unknown", _("memory size unknown")))
    else:
        grade = _at_least(facts.ram_gb, g["ram_gb"])
        if grade != "A":
            out.append(
                Finding(
                    "specs",
                    grade,
                    "ram",
                    _("{ram} GB RAM ({need} GB for A)").format(
                        ram=fmt_num(facts.ram_gb), need=fmt_num(g["ram_gb"][0])
                    ),
                )
            )
    cpu = facts.cpu
    if cpu.family is None or cpu.year is None:
        what = cpu.family or cpu.model
        out.append(
            Finding(
                "specs",
                g["cpu_unknown"],
                "cpu_unknown",
                _("processor {model!r} not recognised: its age is unknown").format(model=what)
                if what
                else _("processor unknown"),
            )
        )
    else:
        grade = _at_least(cpu.year, g["cpu_year"])
        if grade != "A":
            out.append(
                Finding(
                    "specs",
                    grade,
                    "cpu_year",
                    _("processor from {year} ({family}); {need} or newer for A").format(
                        year=cpu.year, family=cpu.family, need=fmt_num(g["cpu_year"][0])
                    ),
                )
            )
    if cpu.tier == "entry" and GRADES.index(g["entry_cpu"]) > 0:
        out.append(
            Finding(
                "specs",
                g["entry_cpu"],
                "entry_cpu",
                _("entry-level processor ({family}): slow for its age").format(family=cpu.family),
            )
        )
    if facts.main_disk is not None:
        size = _gb(facts.main_disk.get("size_bytes"))
        if size is not None:
            grade = _at_least(size, g["storage_gb"])
            if grade != "A":
                out.append(
                    Finding(
                        "specs",
                        grade,
                        "storage_size",
                        _("{size} GB storage ({need} GB for A)").format(
                            size=fmt_num(round(size)), need=fmt_num(g["storage_gb"][0])
                        ),
                    )
                )
        if facts.storage_kind == "hdd" and GRADES.index(g["hdd"]) > 0:
            out.append(
                Finding(
                    "specs",
                    g["hdd"],
                    "hdd",
                    _("hard disk (HDD), not an SSD: slow to start and to open programs"),
                )
            )
    return out


def _grade_storage(facts: Facts, g: Mapping[str, Any]) -> list[Finding]:
    if not facts.disks:
        return [Finding("storage", g["no_disk"], "no_disk", _("no internal disk found"))]
    out: list[Finding] = []
    for disk in facts.disks:
        name = disk_name(disk)
        passed = disk.get("smart_passed")
        if passed is False:
            out.append(
                Finding(
                    "storage",
                    g["smart_failed"],
                    "smart_failed",
                    _("SMART says disk {disk} is failing").format(disk=name),
                )
            )
        elif passed is None:
            out.append(
                Finding(
                    "storage",
                    g["smart_unknown"],
                    "smart_unknown",
                    _("SMART health of disk {disk} could not be read").format(disk=name),
                )
            )
        counters = (
            ("reallocated_sectors", _("disk {disk} has {n} reallocated sectors")),
            (
                "pending_sectors",
                _("disk {disk} has {n} unreadable sectors waiting to be reallocated"),
            ),
            ("nvme_media_errors", _("disk {disk} has {n} media errors")),
        )
        for key, message in counters:
            value = _num(disk.get(key))
            if value is not None:
                grade = _at_most(value, g[key])
                if grade != "A":
                    out.append(
                        Finding("storage", grade, key, message.format(disk=name, n=fmt_num(value)))
                    )
        used = _num(disk.get("nvme_percentage_used"))
        if used is not None:
            grade = _at_most(used, g["nvme_percentage_used"])
            if grade != "A":
                out.append(
                    Finding(
                        "storage",
                        grade,
                        "nvme_percentage_used",
                        _("SSD {disk} has used {pct} % of its rated life").format(
                            disk=name, pct=fmt_num(used)
                        ),
                    )
                )
        hours = _num(disk.get("power_on_hours"))
        if hours is not None and _disk_kind(disk) == "hdd":
            grade = _at_most(hours, g["hdd_power_on_hours"])
            if grade != "A":
                out.append(
                    Finding(
                        "storage",
                        grade,
                        "hdd_power_on_hours",
                        _("hard disk {disk} has run {hours} hours").format(
                            disk=name, hours=fmt_num(hours)
                        ),
                    )
                )
    return out


def _grade_battery(facts: Facts, g: Mapping[str, Any]) -> list[Finding] | None:
    if not facts.batteries:
        if not facts.battery_expected:
            return None  # a desktop: the area does not apply
        return [
            Finding(
                "battery",
                g["no_battery"],
                "no_battery",
                _("no battery found: works on the charger only"),
            )
        ]
    if facts.battery_pct is None:
        return [
            Finding("battery", g["battery_unknown"], "battery_unknown", _("battery health unknown"))
        ]
    grade = _at_least(facts.battery_pct, g["battery_pct"])
    if grade == "A":
        return []
    return [
        Finding(
            "battery",
            grade,
            "battery_pct",
            _("battery holds {pct} % of its design capacity ({need} % for A)").format(
                pct=fmt_num(round(facts.battery_pct)), need=fmt_num(g["battery_pct"][0])
            ),
        )
    ]


def _grade_answers(answers: Mapping[str, str], rules: Rules, g: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    unchecked: dict[str, list[str]] = {"function": [], "cosmetic": []}
    cosmetic = answers.get(COSMETIC, "not_checked")
    if cosmetic == "not_checked":
        unchecked["cosmetic"].append(_check_labels()[COSMETIC])
    elif cosmetic != "A":
        out.append(
            Finding(
                "cosmetic",
                cosmetic,
                COSMETIC,
                _("cosmetic condition {grade} (as answered)").format(grade=cosmetic),
            )
        )
    for name, rule in rules.checks.items():
        answer = answers.get(name, "not_checked")
        if answer == "not_checked":
            unchecked[rule.area].append(rule.display())
        elif answer != "ok":
            out.append(
                Finding(
                    rule.area,
                    rule.grades[answer],
                    f"check_{name}",
                    _("{check}: {answer}").format(
                        check=rule.display(), answer=answer_label(answer)
                    ),
                )
            )
    for area, names in unchecked.items():
        if names:
            out.append(
                Finding(
                    area,
                    g["not_checked"],
                    "not_checked",
                    _("not checked: {names}").format(names=", ".join(names)),
                )
            )
    return out


def _requirement_misses(
    profile: Profile,
    facts: Facts,
    answers: Mapping[str, str],
    grade: str,
    areas: Mapping[str, Any],
    rules: Rules,
    win11: Mapping[str, Any],
) -> list[str]:
    req = profile.require
    miss: list[str] = []
    if "grade" in req and GRADES.index(grade) > GRADES.index(req["grade"]):
        miss.append(
            _("grade {grade}, needs {need} or better").format(grade=grade, need=req["grade"])
        )
    if "ram_gb" in req:
        if facts.ram_gb is None:
            miss.append(_("memory size unknown"))
        elif facts.ram_gb < req["ram_gb"]:
            miss.append(
                _("{has} GB RAM, needs {need} GB").format(
                    has=fmt_num(facts.ram_gb), need=fmt_num(req["ram_gb"])
                )
            )
    if "storage_gb" in req:
        size = _gb(facts.main_disk.get("size_bytes")) if facts.main_disk else None
        if size is None:
            miss.append(_("storage size unknown"))
        elif size < req["storage_gb"]:
            miss.append(
                _("{has} GB storage, needs {need} GB").format(
                    has=fmt_num(round(size)), need=fmt_num(req["storage_gb"])
                )
            )
    if req.get("ssd"):
        if facts.storage_kind is None:
            miss.append(_("storage type unknown, needs an SSD"))
        elif facts.storage_kind != "ssd":
            miss.append(_("hard disk, needs an SSD"))
    if req.get("healthy_storage") and (
        not facts.disks
        or any(d.get("smart_passed") is False for d in facts.disks)
        or areas["storage"]["grade"] == "D"
    ):
        miss.append(_("storage not healthy (see the storage grade)"))
    if "battery_pct" in req:
        if not facts.batteries:
            miss.append(_("no battery, needs {need} %").format(need=fmt_num(req["battery_pct"])))
        elif facts.battery_pct is None:
            miss.append(
                _("battery health unknown, needs {need} %").format(need=fmt_num(req["battery_pct"]))
            )
        elif facts.battery_pct < req["battery_pct"]:
            miss.append(
                _("battery at {has} %, needs {need} %").format(
                    has=fmt_num(round(facts.battery_pct)), need=fmt_num(req["battery_pct"])
                )
            )
    if "cpu_year" in req:
        if facts.cpu.year is None:
            miss.append(_("processor age unknown"))
        elif facts.cpu.year < req["cpu_year"]:
            miss.append(
                _("processor from {year}, needs {need} or newer").format(
                    year=facts.cpu.year, need=fmt_num(req["cpu_year"])
                )
            )
    for check in req.get("checks", []):
        answer = answers.get(check, "not_checked")
        if answer not in ("ok", "worn"):
            miss.append(
                _("{check}: {answer}").format(
                    check=rules.checks[check].display() if check in rules.checks else check,
                    answer=answer_label(answer),
                )
            )
    if req.get("windows11") and win11.get("ready") is not True:
        miss.append(_("not ready for Windows 11"))
    return miss


# -- operating-system readiness -------------------------------------------------------------------


def _os_item(requirement: str, ok: bool | None, text: str) -> dict[str, Any]:
    return {"requirement": requirement, "ok": ok, "text": text}


def os_readiness(spec: Mapping[str, Any], facts: Facts) -> dict[str, Any]:
    """Can this device run that OS: every requirement met (True), one missed (False), or unknown."""
    items: list[dict[str, Any]] = []
    if "arch" in spec:
        if facts.arch is None:
            items.append(_os_item("arch", None, _("processor architecture unknown")))
        else:
            ok = facts.arch in spec["arch"]
            items.append(
                _os_item(
                    "arch",
                    ok,
                    _("{arch} processor").format(arch=facts.arch)
                    if ok
                    else _("{arch} processor, needs {need}").format(
                        arch=facts.arch, need=" / ".join(spec["arch"])
                    ),
                )
            )
    if spec.get("supported_cpu"):
        cpu = facts.cpu
        name = cpu.family or cpu.model or _("unknown processor")
        if cpu.windows11 is True:
            items.append(
                _os_item("cpu", True, _("processor supported ({family})").format(family=name))
            )
        elif cpu.windows11 is False:
            items.append(
                _os_item(
                    "cpu",
                    False,
                    _("processor not on the supported list ({family})").format(family=name),
                )
            )
        else:
            items.append(
                _os_item("cpu", None, _("processor support unknown ({family})").format(family=name))
            )
    if "cores" in spec:
        if facts.cores is None:
            items.append(_os_item("cores", None, _("number of cores unknown")))
        else:
            ok = facts.cores >= spec["cores"]
            items.append(
                _os_item(
                    "cores",
                    ok,
                    _("{n} cores, needs {need}").format(n=facts.cores, need=fmt_num(spec["cores"])),
                )
            )
    if "cpu_mhz" in spec:
        need = spec["cpu_mhz"]
        speed = facts.max_mhz
        if speed is None and facts.base_mhz is not None and facts.base_mhz >= need:
            speed = facts.base_mhz  # the base clock already suffices
        if speed is None:
            items.append(_os_item("cpu_mhz", None, _("processor speed unknown")))
        else:
            text = _("{mhz} MHz, needs {need} MHz").format(mhz=fmt_num(speed), need=fmt_num(need))
            items.append(_os_item("cpu_mhz", speed >= need, text))
    if "ram_gb" in spec:
        if facts.ram_gb is None:
            items.append(_os_item("ram", None, _("memory size unknown")))
        else:
            ok = facts.ram_gb >= spec["ram_gb"]
            items.append(
                _os_item(
                    "ram",
                    ok,
                    _("{has} GB RAM, needs {need} GB").format(
                        has=fmt_num(facts.ram_gb), need=fmt_num(spec["ram_gb"])
                    ),
                )
            )
    if "storage_gb" in spec:
        size = _gb(facts.main_disk.get("size_bytes")) if facts.main_disk else None
        if size is None:
            items.append(_os_item("storage", None, _("storage size unknown")))
        else:
            ok = size >= spec["storage_gb"]
            items.append(
                _os_item(
                    "storage",
                    ok,
                    _("{has} GB storage, needs {need} GB").format(
                        has=fmt_num(round(size)), need=fmt_num(spec["storage_gb"])
                    ),
                )
            )
    if "tpm" in spec:
        need = spec["tpm"]
        if facts.tpm is None:
            items.append(
                _os_item(
                    "tpm",
                    None,
                    _(
                        "no TPM found: it may be switched off in the firmware setup"
                        " (Intel PTT / AMD fTPM)"
                    ),
                )
            )
        else:
            ok = float(facts.tpm) >= float(need)
            items.append(
                _os_item("tpm", ok, _("TPM {has}, needs {need}").format(has=facts.tpm, need=need))
            )
    if spec.get("secure_boot"):
        if facts.secure_boot_capable is True:
            text = (
                _("Secure Boot on")
                if facts.secure_boot
                else _("Secure Boot supported (switch it on in the firmware setup)")
            )
            items.append(_os_item("secure_boot", True, text))
        elif facts.secure_boot_capable is False:
            items.append(_os_item("secure_boot", False, _("no Secure Boot (legacy BIOS firmware)")))
        elif facts.secure_boot is False:
            text = _(
                "Secure Boot is off (or the stick was started in legacy mode):"
                " check that the firmware setup can switch it on"
            )
            items.append(_os_item("secure_boot", None, text))
        else:
            items.append(
                _os_item(
                    "secure_boot", None, _("Secure Boot state unknown: check the firmware setup")
                )
            )
    if "screen" in spec:
        width, height = (int(x) for x in spec["screen"].split("x"))
        if facts.screen is None:
            items.append(_os_item("screen", None, _("screen resolution unknown")))
        else:
            ok = facts.screen[0] >= width and facts.screen[1] >= height
            items.append(
                _os_item(
                    "screen",
                    ok,
                    _("screen {w}x{h}, needs {need}").format(
                        w=facts.screen[0], h=facts.screen[1], need=spec["screen"]
                    ),
                )
            )
    oks = [item["ok"] for item in items]
    ready = False if False in oks else (None if None in oks else True)
    notes: list[str] = []
    rec = spec.get("recommended", {})
    if "ram_gb" in rec and facts.ram_gb is not None and facts.ram_gb < rec["ram_gb"]:
        notes.append(_("{need} GB RAM recommended").format(need=fmt_num(rec["ram_gb"])))
    size = _gb(facts.main_disk.get("size_bytes")) if facts.main_disk else None
    if "storage_gb" in rec and size is not None and size < rec["storage_gb"]:
        notes.append(_("{need} GB storage recommended").format(need=fmt_num(rec["storage_gb"])))
    return {
        "name": spec.get("name", ""),
        "ready": ready,
        "missing": [i["text"] for i in items if i["ok"] is False],
        "unknown": [i["text"] for i in items if i["ok"] is None],
        "notes": notes,
        "checks": items,
    }


# -- answers --------------------------------------------------------------------------------------


def parse_answer(check: str, value: str, rules: Rules) -> str:
    """One answer as typed (``ok``, ``o``, ``worn``...; ``A``-``D`` for cosmetic) -> its token."""
    text = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if check == COSMETIC:
        if text.upper() in GRADES:
            return text.upper()
        if text in ("not_checked", "n"):
            return "not_checked"
        raise InvalidInput(
            _("cosmetic condition {value!r} is out of range: answer A, B, C or D").format(
                value=value
            ),
            _("A = like new, B = light wear, C = clear wear, D = damaged"),
        )
    if check not in rules.checks:
        raise InvalidInput(
            _("unknown check {check!r}; checks: {known}").format(
                check=check, known=", ".join([*rules.checks, COSMETIC])
            ),
        )
    if text in ANSWER_KEYS:
        return ANSWER_KEYS[text]
    if text in ANSWERS:
        return text
    raise InvalidInput(
        _("{check}={value!r} is out of range: answer {answers}").format(
            check=check, value=value, answers=", ".join(ANSWERS)
        ),
        _("o = ok, w = worn, f = faulty, m = missing, n = not checked"),
    )


_CHECK_ALIASES = {
    "wifi": "wifi",
    "wlan": "wifi",
    "usbports": "usb",
    "trackpad": "touchpad",
    "camera": "webcam",
    "sound": "audio",
    "display": "screen",
    "hinge": "hinges",
}


def parse_check_options(items: Iterable[str], rules: Rules) -> dict[str, str]:
    """``["keyboard=ok", "hinges=worn"]`` -> answers; bad names or values are refused."""
    answers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if name not in rules.checks:  # common other spellings of the shipped checks
            loose = name.replace("-", "").replace("_", "").replace(" ", "")
            name = _CHECK_ALIASES.get(loose, name)
        if not sep or not name:
            raise InvalidInput(
                _("--check {item!r}: write CHECK=ANSWER, e.g. keyboard=ok").format(item=item),
                _("checks: {known}").format(known=", ".join(rules.checks)),
            )
        answers[name] = parse_answer(name, value, rules)
    return answers


def complete_answers(answers: Mapping[str, str], rules: Rules) -> dict[str, str]:
    """Every check and the cosmetic condition (checked), unanswered ones as ``not_checked``."""
    given = {name: parse_answer(name, value, rules) for name, value in answers.items()}
    out = {name: given.get(name, "not_checked") for name in rules.checks}
    out[COSMETIC] = given.get(COSMETIC, "not_checked")
    return out


# -- the whole grade ------------------------------------------------------------------------------


@dataclass
class GradeResult:
    grade: str
    profile: str
    profiles: list[str]
    reasons: list[str]
    findings: list[Finding]
    areas: dict[str, dict[str, Any]]
    suitability: dict[str, dict[str, Any]]
    answers: dict[str, str]
    windows11: dict[str, Any]
    linux: dict[str, dict[str, Any]]
    other_os: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The ``grade`` event payload (and the ``--json`` output)."""
        return {
            "grade": self.grade,
            "profile": self.profile,
            "profiles": self.profiles,
            "reasons": self.reasons,
            "answers": self.answers,
            "windows11": self.windows11,
            "linux": self.linux,
            "areas": self.areas,
            "suitability": self.suitability,
            "findings": [f.to_dict() for f in self.findings],
            **({"other_os": self.other_os} if self.other_os else {}),
        }


def grade_device(
    probe: Mapping[str, Any],
    answers: Mapping[str, str],
    rules: Rules,
    profile: str | None = None,
) -> GradeResult:
    """Grade one device: the worst area sets the grade, every lowered area says why."""
    chosen = rules.profile(profile)
    g = chosen.grades
    facts = facts_from_probe(probe, rules.cpu_rules)
    full_answers = complete_answers(answers, rules)

    findings = _grade_specs(facts, g) + _grade_storage(facts, g)
    battery = _grade_battery(facts, g)
    findings += battery or []
    findings += _grade_answers(full_answers, rules, g)
    findings = [f for f in findings if f.grade != "A"]

    areas: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        mine = [f for f in findings if f.area == area]
        if area == "battery" and battery is None:
            areas[area] = {
                "grade": None,
                "reasons": [_("no battery expected on this kind of computer")],
            }
        else:
            areas[area] = {"grade": worst(f.grade for f in mine), "reasons": [f.text for f in mine]}
    grade = worst(a["grade"] for a in areas.values())
    ordered = sorted(findings, key=lambda f: (-GRADES.index(f.grade), AREAS.index(f.area)))
    reasons = [f.text for f in ordered] or [_("no problems found: every area is grade A")]

    win_spec = rules.os.get("windows11")
    windows11 = os_readiness(win_spec, facts) if win_spec else {}
    linux = {k: os_readiness(v, facts) for k, v in rules.os.items() if v.get("kind") == "linux"}
    other = {
        k: os_readiness(v, facts)
        for k, v in rules.os.items()
        if k != "windows11" and v.get("kind") != "linux"
    }

    suitability: dict[str, dict[str, Any]] = {}
    for name, prof in rules.profiles.items():
        if prof.fallback:
            continue
        misses = _requirement_misses(prof, facts, full_answers, grade, areas, rules, windows11)
        suitability[name] = {"fits": not misses, "missing": misses}
    any_fit = any(s["fits"] for s in suitability.values())
    for name, prof in rules.profiles.items():
        if prof.fallback:
            misses = _requirement_misses(prof, facts, full_answers, grade, areas, rules, windows11)
            if any_fit:
                misses = [_("fits a better profile")] + misses
            suitability[name] = {"fits": not misses, "missing": misses}
    fits = [name for name in rules.profiles if suitability[name]["fits"]]

    return GradeResult(
        grade=grade,
        profile=chosen.name,
        profiles=fits,
        reasons=reasons,
        findings=ordered,
        areas=areas,
        suitability={name: suitability[name] for name in rules.profiles},
        answers=full_answers,
        windows11=windows11,
        linux=linux,
        other_os=other,
    )


def grade_answers_only(answers: Mapping[str, str], rules: Rules) -> GradeResult:
    """Grade a device refurb cannot probe (a screen, a tablet, a phone) on its checks alone:
    the cosmetic and function areas; the probe's areas say they do not apply."""
    full_answers = complete_answers(answers, rules)
    g = rules.profile(None).grades
    findings = [f for f in _grade_answers(full_answers, rules, g) if f.grade != "A"]
    areas: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        if area in ("cosmetic", "function"):
            mine = [f for f in findings if f.area == area]
            areas[area] = {"grade": worst(f.grade for f in mine), "reasons": [f.text for f in mine]}
        else:
            areas[area] = {"grade": None, "reasons": [_("not graded for this kind of device")]}
    grade = worst(a["grade"] for a in areas.values())
    ordered = sorted(findings, key=lambda f: (-GRADES.index(f.grade), AREAS.index(f.area)))
    reasons = [f.text for f in ordered] or [_("no problems found: every check is ok")]
    return GradeResult(
        grade=grade,
        profile=rules.kind,
        profiles=[],
        reasons=reasons,
        findings=ordered,
        areas=areas,
        suitability={},
        answers=full_answers,
        windows11={},
        linux={},
    )


def latest_probe(events: Iterable[Any]) -> dict[str, Any] | None:
    """The probe dict of the newest ``probe`` event (events oldest first), or None."""
    found = None
    for event in events:
        kind = getattr(event, "kind", None) if not isinstance(event, Mapping) else event.get("kind")
        if kind != "probe":
            continue
        payload = (
            getattr(event, "payload", None)
            if not isinstance(event, Mapping)
            else event.get("payload")
        )
        if isinstance(payload, str):
            import json

            try:
                payload = json.loads(payload)
            except ValueError:
                continue
        if isinstance(payload, Mapping) and isinstance(payload.get("probe"), Mapping):
            found = dict(payload["probe"])
    return found


def describe_requirements(profile: Profile, rules: Rules) -> list[str]:
    """A profile's requirements in plain words, for `refurb grade profiles`."""
    req = profile.require
    out: list[str] = []
    if profile.fallback:
        out.append(_("when no other profile fits"))
    if "grade" in req:
        out.append(_("grade {grade} or better").format(grade=req["grade"]))
    if "ram_gb" in req:
        out.append(_("at least {n} GB RAM").format(n=fmt_num(req["ram_gb"])))
    if req.get("ssd"):
        out.append(_("an SSD"))
    if "storage_gb" in req:
        out.append(_("at least {n} GB storage").format(n=fmt_num(req["storage_gb"])))
    if req.get("healthy_storage"):
        out.append(_("healthy storage"))
    if "battery_pct" in req:
        out.append(_("battery at least {n} %").format(n=fmt_num(req["battery_pct"])))
    if "cpu_year" in req:
        out.append(_("processor from {n} or newer").format(n=fmt_num(req["cpu_year"])))
    if req.get("checks"):
        names = ", ".join(
            rules.checks[c].display() if c in rules.checks else c for c in req["checks"]
        )
        out.append(_("working: {names}").format(names=names))
    if req.get("windows11"):
        out.append(_("ready for Windows 11"))
    return out
