"""A rich progress bar on stderr that shows only for work long enough to need one.

Core functions report ``progress(done, total)``; commands pass this bar's ``update``. Small runs
finish before a bar would be seen, so below ``threshold`` items nothing is drawn.
"""

from __future__ import annotations

from typing import Any

from refurb.env import Env


class CountProgress:
    def __init__(self, env: Env, label: str, *, threshold: int, quiet: bool = False) -> None:
        self.env = env
        self.label = label
        self.threshold = threshold
        self.quiet = quiet
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.quiet or total < self.threshold:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(console=self.env.err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
