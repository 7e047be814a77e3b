"""Grading: a probe plus the volunteer's answers -> a grade A-D, the profiles it fits, and why.

The rules are data (``refurb/data/profiles.toml`` and ``cpu_generations.toml``, each overridable
by a file of the same name in the site's config folder) so that a programme can change a threshold
without touching code. A grade is the worst of five areas: specs, storage (SMART health), battery,
cosmetic and function; every area that is not an A says why in plain words. Windows 11 and Linux
readiness are reported beside the grade because they decide which operating system goes on.
Nothing here prints or asks: the command asks the questions and passes the answers in.

The package reads bottom-up: ``terms`` (grades, areas, answer words) -> ``rulefile`` (TOML with
file:line errors) -> ``rules`` (profiles, checks, CPU families) -> ``facts`` (what the probe says)
-> ``areas`` / ``answers`` (findings per area) -> ``os_ready`` (Windows 11 / Linux minimums) ->
``suitability`` (profiles a device fits) -> ``grade`` (the whole result). This face only hands on
the names callers use.
"""

from refurb.grading.answers import complete_answers, parse_answer, parse_check_options
from refurb.grading.areas import Finding
from refurb.grading.facts import Facts, disk_name, facts_from_probe
from refurb.grading.grade import GradeResult, grade_answers_only, grade_device, latest_probe
from refurb.grading.os_ready import os_readiness
from refurb.grading.rules import (
    CPU_FILE,
    DATA_DIR,
    PROFILES_FILE,
    CheckRule,
    CpuClass,
    CpuRule,
    Profile,
    Rules,
    classify_cpu,
    load_cpu_rules,
    load_rules,
)
from refurb.grading.suitability import describe_requirements
from refurb.grading.terms import (
    ANSWER_KEYS,
    ANSWERS,
    AREAS,
    COSMETIC,
    DEFAULT_CHECK_KINDS,
    GRADES,
    answer_label,
    fmt_num,
    worst,
)

__all__ = [
    "ANSWERS",
    "ANSWER_KEYS",
    "AREAS",
    "COSMETIC",
    "CPU_FILE",
    "DATA_DIR",
    "DEFAULT_CHECK_KINDS",
    "GRADES",
    "PROFILES_FILE",
    "CheckRule",
    "CpuClass",
    "CpuRule",
    "Facts",
    "Finding",
    "GradeResult",
    "Profile",
    "Rules",
    "answer_label",
    "classify_cpu",
    "complete_answers",
    "describe_requirements",
    "disk_name",
    "facts_from_probe",
    "fmt_num",
    "grade_answers_only",
    "grade_device",
    "latest_probe",
    "load_cpu_rules",
    "load_rules",
    "os_readiness",
    "parse_answer",
    "parse_check_options",
    "worst",
]
