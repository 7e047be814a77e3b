"""`refurb workbench`: the guided flow for one device, as core logic without a screen.

- ``state``: which steps are done, skipped or to do again, as pure functions of the device's
  events (so a run resumes where the last one stopped, on any bench that synced them);
- ``steps``: each step done by the same core function as its own command (probe, wipe, os,
  grade, label, sync), plus the disks the workbench may erase and the ``step_skipped`` record.

The screens live in ``refurb/commands/workbench.py``; nothing here prints.
"""

from refurb.workbench.state import STEPS, StepState, next_step, progress

__all__ = ["STEPS", "StepState", "next_step", "progress"]
