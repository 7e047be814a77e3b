"""`refurb workbench`: one guided flow for one device, a screen per step, resumable.

The flow's logic is ``refurb/workbench`` (which steps are done, from the device's events; each
step through the same core function as its own command); this module draws the screens and reads
the keys (``workbench_screens``). Heavy modules are imported in the background while the first
screen waits for the asset id, so no key waits for an import.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import typer

from refurb.commands.wipe import Method, Verify
from refurb.env import Env
from refurb.exit import ExitStatus
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.commands.workbench_screens import Keys, Screen
    from refurb.store import Store

HELP = """The guided flow for one device at the workbench: scan or type its asset id (or let
refurb find it by its serial numbers, or register it), then probe, erase every internal disk,
record the OS, answer the checks and get a grade, print the label and sync, one screen each.
Enter accepts what is shown; s skips a step (the reason is recorded); q or Ctrl-C stops, and
everything done so far is kept: run it again to go on where the device left off.

Run it as root to erase. The disks offered are the laptop's own (never the USB stick refurb runs
from); you confirm them once, from a list with model, size and serial.

Example: sudo refurb workbench   (or: sudo refurb workbench RF-7K3QM-X4T2A --no-wipe)"""

SKIP_KEY, QUIT_KEY = "s", "q"
YES_KEYS = "yjo"  # yes, ja, oui: whichever the volunteer's language says
FRESH_S = 60.0  # a disk list older than this is read again before it is shown for erasing


class Stop(Exception):
    """The volunteer pressed q: stop here, everything done is kept."""


def _warm_up() -> None:
    """Import what the later screens need while the volunteer reads the first one."""
    import importlib

    for name in (
        "refurb.probe",
        "refurb.wipe",
        "refurb.grading",
        "refurb.labels",
        "refurb.labels.output",
        "refurb.labels.printing",
        "refurb.osinstall",
        "refurb.sync",
        "refurb.nwipe_import",
        "rich.progress",
        "rich.table",
    ):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - a failed warm-up import is met again, and reported, later
            continue
    from refurb import events

    for kind in events.kinds():  # pydantic builds each payload's validator on first use
        events.payload_type(kind).model_rebuild(force=True)


class Bench:
    """One run of the flow over one device."""

    def __init__(self, env: Env, store: Store, keys: Keys, screen: Screen, opts: dict[str, Any]):
        self.env, self.store, self.keys, self.screen, self.opts = env, store, keys, screen, opts
        self.out = screen.console
        self.asset_id: str | None = None
        self.disks: Any = None
        self._disk_thread: threading.Thread | None = None
        self._disks_at = 0.0

    # -- helpers -------------------------------------------------------------------------------
    def states(self) -> list[Any]:
        from refurb.workbench import progress

        if self.asset_id is None:
            return []
        # --disk names the disks: then they decide; else the laptop's own disks of the probe
        keys = self.disk_choice().keys if self.opts["disk"] and not self.opts["no_wipe"] else None
        return progress(self.store.events(self.asset_id), keys)

    def show(self, title: str, current: str | None = None) -> None:
        self.screen.show(title, self.asset_id, self.states(), current)

    def say(self, text: str, style: str | None = None) -> None:
        self.out.print(text, style=style, markup=False, highlight=False)

    def ask(self, legend: str, allowed: str, default: str | None = None) -> str:
        self.out.print(legend, style="bold", markup=False, highlight=False)
        key = self.keys.choice(self.out, allowed + QUIT_KEY, default)
        if key == QUIT_KEY:
            raise Stop
        return key

    def skip(self, step: str, default_reason: str) -> None:
        from refurb.workbench.steps import skip

        reason = self.keys.line(self.out, _("Why is this step skipped?"), default_reason)
        skip(self.store, self.asset_id or "", step, reason or default_reason)
        self.screen.note(_("{step} skipped: {reason}").format(step=_step(step), reason=reason))

    def discover_disks(self) -> None:
        """The disk list, read in the background while the first screens wait for keys."""

        def work() -> None:
            from refurb.errors import RefurbError
            from refurb.workbench.steps import choose_disks

            try:
                self.disks = choose_disks(self.env, self.opts["disk"] or None)
            except RefurbError as exc:
                self.disks = exc

        import time

        self._disks_at = time.monotonic()
        self._disk_thread = threading.Thread(target=work, name="workbench-disks", daemon=True)
        self._disk_thread.start()

    def disk_choice(self, *, fresh: bool = False) -> Any:
        """The disks found; ``fresh``: read again when the list is more than a minute old
        (what the erase screen shows is what is attached now)."""
        import time

        if self._disk_thread is not None:
            self._disk_thread.join()
        if fresh and time.monotonic() - self._disks_at > FRESH_S:
            self.discover_disks()
            self._disk_thread.join()  # type: ignore[union-attr]
        if isinstance(self.disks, Exception):
            raise self.disks
        return self.disks

    # -- the flow --------------------------------------------------------------------------------
    def run(self, asset: str | None) -> None:
        from refurb.workbench import next_step

        if self.opts["disk"] and not self.opts["no_wipe"]:
            self.disk_choice()  # the named disks decide the erase step's state on every screen
        self.identify(asset)
        self.start_screen()
        for step in ("probe", "wipe", "os", "grade", "label"):
            state = {s.step: s for s in self.states()}[step]
            if state.handled:
                continue
            getattr(self, f"step_{step}")(state)
        from refurb.commands.workbench_summary import summary

        summary(self, next_step(self.states()))

    def identify(self, asset: str | None) -> None:
        from refurb.errors import RefurbError
        from refurb.workbench import steps

        typed = asset
        while self.asset_id is None:
            if typed is None:
                self.show(_("which device?"))
                self.say(_("Scan or type the asset id (RF-...)."))
                self.say(_("Enter alone: find this machine by its serial numbers."))
                self.say(_("q and Enter: stop."))
                typed = self.keys.line(self.out, _("Asset id"))
                if typed.strip().lower() == QUIT_KEY:
                    raise Stop
            if typed:
                try:
                    self.asset_id = self.store.get_device(typed).asset_id
                except RefurbError as exc:
                    self.screen.note(exc.message + (f" ({exc.hint})" if exc.hint else ""))
                typed = None
                continue
            self.show(_("which device?"))
            self.say(_("Probing this machine..."))
            probe = steps.probe_machine(self.env)
            device = steps.identify(self.store, probe)
            if device is None:
                self.say(_("This machine is not registered yet."))
                key = self.ask(_("Enter = register it as a new device  t = type its id"), "t", "n")
                if key == "t":
                    continue
            saved = steps.record_probe(
                self.store, probe, device.asset_id if device else None, create=True
            )
            self.asset_id = saved["asset_id"]
            found = _("found by its serial: {asset}")
            text = _("new device {asset}") if saved["created"] else found
            self.screen.note(text.format(asset=self.asset_id))
            self.screen.note(_probe_line(probe))

    def start_screen(self) -> None:
        from refurb.workbench import next_step

        device = self.store.get_device(self.asset_id or "")
        self.show(_("device"))
        model = " ".join(x for x in (device.manufacturer, device.model) if x) or _("unknown model")
        self.say(_("{model}, status: {status}").format(model=model, status=device.status))
        todo = next_step(self.states())
        if todo is None:
            self.say(_("Every step is done."))
            self.ask(_("Enter = sync and show the summary  q = stop"), "", "\n")
            return
        self.ask(_("Enter = start with: {step}  q = stop").format(step=_step(todo)), "", "\n")

    # -- the steps -------------------------------------------------------------------------------
    def step_probe(self, _state: Any) -> None:
        from refurb.workbench import steps

        self.show(_("probe"), "probe")
        self.say(_("Probing this machine..."))
        probe = steps.probe_machine(self.env)
        other = steps.identify(self.store, probe)
        if other is not None and other.asset_id != self.asset_id:
            self.screen.note(
                _("careful: this machine's serials belong to {other}, not to {asset}").format(
                    other=other.asset_id, asset=self.asset_id
                )
            )
        steps.record_probe(self.store, probe, self.asset_id)
        self.screen.note(_probe_line(probe))

    def step_wipe(self, state: Any) -> None:
        from refurb.commands.workbench_erase import erase_step

        erase_step(self, state)

    def step_os(self, _state: Any) -> None:
        from refurb.workbench import steps

        self.show(_("operating system"), "os")
        known = steps.last_os(self.store)
        settings = self.env.settings
        if known is None and isinstance(settings.get("os_image"), str) and settings.get("os_image"):
            known = (str(settings.get("os_image")), str(settings.get("os_version") or ""))
        image = version = ""
        if known is not None:
            name = " ".join(x for x in known if x)
            legend = _("Enter = record {os}  t = type another  s = skip").format(os=name)
        else:
            legend = _("Enter = type which OS was installed  s = skip")
        key = self.ask(legend, "t" + SKIP_KEY, "\n")
        if key == SKIP_KEY:
            self.skip("os", _("no OS installed yet"))
            return
        if key == "\n" and known is not None:
            image, version = known
        while not image:
            image = self.keys.line(self.out, _("Operating system (e.g. Linux Mint)"))
        if not version:
            version = self.keys.line(self.out, _("Version (e.g. 22.1)"))
        steps.record_os(self.store, self.asset_id or "", image, version)
        self.screen.note(_("OS recorded: {os}").format(os=f"{image} {version}".strip()))

    def step_grade(self, _state: Any) -> None:
        from refurb.commands.workbench_summary import grade_step

        grade_step(self)

    def step_label(self, _state: Any) -> None:
        from refurb.errors import RefurbError
        from refurb.workbench import steps

        printer = steps.label_printer(self.env, self.opts["printer"])
        later = _("print it later: refurb label {asset} --print PRINTER").format(
            asset=self.asset_id
        )
        if printer is None:
            reason = _("no label printer is set (setting label_printer)")
            self.label_skipped(reason, later)
            return
        self.show(_("label"), "label")
        legend = _("Enter = print the label on {printer}  s = skip").format(printer=printer)
        key = self.ask(legend, SKIP_KEY, "\n")
        if key == SKIP_KEY:
            self.skip("label", _("label not printed at the workbench"))
            return
        self.say(_("Printing..."))
        try:
            steps.print_label(self.env, self.store, self.asset_id or "", printer)
        except RefurbError as exc:
            reason = _("printer {printer}: {error}").format(printer=printer, error=exc.message)
            self.label_skipped(reason, later)
            return
        self.screen.note(_("label printed on {printer}").format(printer=printer))

    def label_skipped(self, reason: str, later: str) -> None:
        from refurb.workbench import steps

        steps.skip(self.store, self.asset_id or "", "label", reason)
        self.screen.note(_("label skipped: {reason}; {later}").format(reason=reason, later=later))


def _step(step: str) -> str:
    from refurb.commands.workbench_screens import step_names

    return step_names().get(step, step)


def _probe_line(probe: dict[str, Any]) -> str:
    from refurb import units
    from refurb.specs import summary

    facts = summary(probe)
    bits = [
        facts["name"] or _("unknown model"),
        facts["cpu"],
        units.memory_size(facts["ram_bytes"]) if facts["ram_bytes"] else None,
        units.disk_size(facts["storage_bytes"]) if facts["storage_bytes"] else None,
    ]
    return _("probed: {what}").format(what=", ".join(b for b in bits if b))


def workbench(
    ctx: typer.Context,
    asset: str | None = typer.Argument(
        None, help="The asset id (RF- may be left out); without it the first screen asks."
    ),
    no_wipe: bool = typer.Option(
        False, "--no-wipe", help="The disks were erased elsewhere: offer an nwipe log import."
    ),
    disk: list[str] = typer.Option(
        [],
        "--disk",
        envvar="REFURB_WORKBENCH_DISKS",
        help="Erase only this disk (repeatable); default: every internal disk found.",
    ),
    method: Method = typer.Option(Method.auto, "--method", help="How to erase (as wipe run)."),
    verify: Verify = typer.Option(Verify.full, "--verify", help="How much to read back."),
    printer: str | None = typer.Option(
        None, "--printer", help="Label printer (default: the label_printer setting)."
    ),
) -> None:
    from refurb.commands.workbench_screens import Keys, Screen
    from refurb.store import open_store

    env: Env = ctx.obj
    warm = threading.Thread(target=_warm_up, name="workbench-imports", daemon=True)
    warm.start()
    opts = {
        "no_wipe": no_wipe,
        "disk": [d for item in disk for d in item.split()],
        "method": method.value,
        "verify": verify.value,
        "printer": printer,
    }
    screen = Screen(env.out, env.environ, clear=bool(env.stdout_isatty))
    bench: Bench | None = None
    try:
        with Keys() as keys, open_store(env) as store:
            bench = Bench(env, store, keys, screen, opts)
            if not no_wipe:
                bench.discover_disks()  # lsblk and smartctl, while the modules load
            warm.join()  # every import paid before the first screen: no key waits for one
            bench.run(asset)
    except (KeyboardInterrupt, Stop, EOFError) as exc:
        where = bench.asset_id if bench is not None else None
        env.out.print()
        env.out.print(_("Stopped. Everything done so far is saved."), style="bold", markup=False)
        if where:
            env.out.print(_("To go on: refurb workbench {asset}").format(asset=where), markup=False)
        if isinstance(exc, KeyboardInterrupt):
            raise typer.Exit(int(ExitStatus.CTRL_C)) from None
        raise typer.Exit(int(ExitStatus.ERROR) if isinstance(exc, EOFError) else 0) from None
