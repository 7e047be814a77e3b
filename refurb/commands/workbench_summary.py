"""The workbench's checks-and-grade screen and its last screen: ready or not, sync, summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.commands.workbench import Bench

_CHECK_KEYS = "owfmn"


def grade_step(bench: Bench) -> None:
    from refurb.commands.workbench import SKIP_KEY
    from refurb.grading import ANSWER_KEYS, COSMETIC, answer_label
    from refurb.workbench import steps

    asset = bench.asset_id or ""
    bench.show(_("checks and grade"), "grade")
    rules = steps.grading_rules(bench.env, bench.store, asset)
    names = [rule.display() for rule in rules.checks.values()]
    bench.say(_("Try each of these: {checks}.").format(checks=", ".join(names)))
    key = bench.ask(
        _("Enter = everything works  c = answer one by one  s = skip"), "c" + SKIP_KEY, "\n"
    )
    if key == SKIP_KEY:
        bench.skip("grade", _("not graded at the workbench"))
        return
    answers: dict[str, str] = {}
    legend = _("o ok · w worn · f faulty · m missing · n not checked")
    if not bench.screen.fancy:
        legend = legend.replace("·", "/")
    for rule in rules.checks.values():
        if key == "\n":
            answers[rule.name] = "ok"
            continue
        bench.out.print(f"  {rule.display()}? ({legend}) ", end="", markup=False, highlight=False)
        answers[rule.name] = ANSWER_KEYS[bench.keys.choice(bench.out, _CHECK_KEYS)]
        bench.say(answer_label(answers[rule.name]))
    cosmetic = _("A like new · B light wear · C clear wear · D damaged · n not checked")
    if not bench.screen.fancy:
        cosmetic = cosmetic.replace("·", "/")
    bench.say(_("Cosmetic condition?") + f" ({cosmetic})")
    letter = bench.keys.choice(bench.out, "abcdn")
    answers[COSMETIC] = "not_checked" if letter == "n" else letter.upper()
    result = steps.grade(bench.env, bench.store, asset, answers)
    fits = ", ".join(result.profiles) or "-"
    bench.screen.note(
        _("grade {grade} (profile {profile}), fits: {fits}").format(
            grade=result.grade, profile=result.profile, fits=fits
        )
    )
    for reason in result.reasons[:2]:
        bench.screen.note("  " + reason)


def summary(bench: Bench, left: str | None) -> None:
    from refurb.commands.workbench_screens import step_names
    from refurb.workbench import steps

    asset = bench.asset_id or ""
    status, missing = steps.finish(bench.store, asset)
    bench.store.session.commit()  # no read transaction left open while sync writes
    bench.show(_("summary"), "sync")
    bench.say(_("Syncing..."))
    outcome = steps.sync_now(bench.env)
    bench.show(_("summary"))
    names = step_names()
    words = {
        "done": _("done"),
        "skipped": _("skipped"),
        "again": _("to do again"),
        "todo": _("not done"),
    }
    for s in bench.states():
        detail = f": {s.detail}" if s.detail else ""
        style = {"done": "green", "skipped": "yellow"}.get(s.state, "red")
        mark = bench.screen.mark(s.state)
        bench.say(f"  {mark} {names[s.step]:<16} {words[s.state]}{detail}", style)
    if outcome.state == "synced":
        bench.say(
            _("  synced with the shared inventory: pushed {pushed}, pulled {pulled}").format(
                pushed=outcome.pushed, pulled=outcome.pulled
            ),
            "green",
        )
    elif outcome.state == "offline":
        bench.say(
            _(
                "  offline: {n} event(s) wait on this bench and go with the next sync (refurb sync)"
            ).format(n=outcome.waiting),
            "yellow",
        )
        if outcome.message:
            bench.say("    " + outcome.message, "dim")
    else:
        bench.say(
            _(
                "  no shared inventory is set: the events stay on this bench "
                "(refurb config inventory URL)"
            ),
            "yellow",
        )
    device = bench.store.get_device(asset)
    bench.say(
        _("{asset}: status {status}, grade {grade}").format(
            asset=asset, status=status, grade=device.grade or "-"
        ),
        "bold",
    )
    if missing:
        bench.say(_("Not ready yet, still needed:"))
        for item in missing[:6]:
            bench.say(f"  - {item}")
