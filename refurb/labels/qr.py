"""QR codes for labels: pick version and error correction for the space, and build the matrices.

The printed module must be at least 0.4 mm (``MIN_MODULE_MM``) to scan from a phone at arm's length;
we prefer the strongest error correction that still gives 0.5 mm modules, and fall back to weaker
correction (smaller code, bigger modules) on small labels. Raster outputs use a whole number of
printer dots per module so every module prints the same.

Encoding is done by the ``qrcode`` package. Choosing the mask is most of its run time (it builds the
symbol eight times in pure Python), so for many labels at once (sheets, batches) ``matrices``
scores the eight masks of many symbols together with numpy, with exactly ``qrcode``'s penalty rules:
the result is the same matrix ``qrcode`` would make, about ten times faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _

MIN_MODULE_MM = 0.4
COMFORT_MODULE_MM = 0.5
QUIET_MODULES = 2  # white modules around the code, inside the label
ECC_ORDER = ("H", "Q", "M", "L")
BATCH_MIN = 6  # from this many codes on, numpy mask scoring pays for its import

Matrix = list[list[bool]]


@dataclass(frozen=True)
class QRSpec:
    """The chosen symbol: version, error correction and printed module size."""

    version: int
    ecc: str
    module_mm: float
    quiet: int = QUIET_MODULES

    @property
    def modules(self) -> int:
        return 17 + 4 * self.version

    @property
    def side_mm(self) -> float:
        """Side of the code including its quiet zone."""
        return (self.modules + 2 * self.quiet) * self.module_mm


def _ecc_constant(ecc: str) -> int:
    from qrcode import constants

    return {
        "L": constants.ERROR_CORRECT_L,
        "M": constants.ERROR_CORRECT_M,
        "Q": constants.ERROR_CORRECT_Q,
        "H": constants.ERROR_CORRECT_H,
    }[ecc]


def _new(payload: str, ecc: str, version: int | None = None) -> Any:
    import qrcode

    code = qrcode.QRCode(version=version, error_correction=_ecc_constant(ecc), border=0)
    code.add_data(payload)
    return code


@cache
def fit_version(payload: str, ecc: str) -> int | None:
    """Smallest version holding ``payload`` at ``ecc`` (None: even version 40 is too small)."""
    from qrcode.exceptions import DataOverflowError

    code = _new(payload, ecc)
    try:
        return int(code.best_fit())
    except DataOverflowError:
        return None


def choose(payload: str, side_mm: float, dpi: int | None) -> QRSpec:
    """The best symbol for a square of ``side_mm``; InvalidInput if none has 0.4 mm modules."""
    candidates: list[QRSpec] = []
    for ecc in ECC_ORDER:
        version = fit_version(payload, ecc)
        if version is None:
            continue
        total = 17 + 4 * version + 2 * QUIET_MODULES
        module = side_mm / total
        if dpi:
            dots = int(module / 25.4 * dpi + 1e-9)
            module = dots * 25.4 / dpi
        if module >= MIN_MODULE_MM - 1e-9:
            candidates.append(QRSpec(version, ecc, module))
    for spec in candidates:
        if spec.module_mm >= COMFORT_MODULE_MM - 1e-9:
            return spec
    if candidates:
        return max(candidates, key=lambda s: (s.module_mm, -ECC_ORDER.index(s.ecc)))
    raise InvalidInput(
        _(
            "a QR code of {count} characters does not fit {side:.1f} mm with modules of 0.4 mm"
        ).format(count=len(payload), side=side_mm),
        _("use a larger label template or a shorter label_url"),
    )


def matrix(payload: str, spec: QRSpec) -> Matrix:
    """One symbol, made by ``qrcode`` itself (mask chosen by its own rules)."""
    code = _new(payload, spec.ecc, spec.version)
    code.make(fit=False)
    return [list(map(bool, row)) for row in code.modules]


def matrices(items: Sequence[tuple[str, QRSpec]]) -> list[Matrix]:
    """Many symbols; the same matrices as ``matrix`` gives, with masks scored in bulk."""
    if len(items) < BATCH_MIN:
        return [matrix(payload, spec) for payload, spec in items]
    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover - numpy is there wherever Pillow wheels are
        return [matrix(payload, spec) for payload, spec in items]
    return _batch(items)


# -- bulk mask choice -------------------------------------------------------------------------


@cache
def _function_cells(version: int) -> Any:
    """Cells that are not data (finders, timing, alignment, format/version info), per qrcode."""
    import numpy as np
    import qrcode

    code = qrcode.QRCode(version=version, border=0)
    n = code.modules_count = 17 + 4 * version
    code.modules = [[None] * n for _ in range(n)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(n - 7, 0)
    code.setup_position_probe_pattern(0, n - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(True, 0)
    if version >= 7:
        code.setup_type_number(True)
    return np.array([[cell is not None for cell in row] for row in code.modules], dtype=bool)


@cache
def _mask_flips(version: int) -> Any:
    """(8, n, n): which data cells mask k flips relative to mask 0."""
    import numpy as np
    from qrcode.util import mask_func

    n = 17 + 4 * version
    rows, cols = np.indices((n, n))
    patterns = []
    for k in range(8):
        func = mask_func(k)
        patterns.append(np.vectorize(lambda r, c, f=func: bool(f(int(r), int(c))))(rows, cols))
    masks = np.array(patterns, dtype=bool)
    data = ~_function_cells(version)
    return (masks ^ masks[0]) & data


def _run_penalty(a: Any) -> Any:
    """qrcode's rule 1 along the last axis: each run of ≥ 5 same-colour modules costs length - 2."""
    import numpy as np

    same = a[..., :-1] == a[..., 1:]
    window = same[..., :-3] & same[..., 1:-2] & same[..., 2:-1] & same[..., 3:]
    starts = window.copy()
    starts[..., 1:] &= ~window[..., :-1]
    return window.sum(axis=(-1, -2), dtype=np.int64) + 2 * starts.sum(axis=(-1, -2), dtype=np.int64)


_FINDER_LIKE = (
    (1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0),
    (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1),
)


def _finder_penalty(a: Any) -> Any:
    """qrcode's rule 3 along the last axis: 40 per 1:1:3:1:1 pattern with four light modules."""
    import numpy as np

    n = a.shape[-1]
    total = np.zeros(a.shape[0], dtype=np.int64)
    for pattern in _FINDER_LIKE:
        hit = None
        for i, bit in enumerate(pattern):
            part = a[..., i : n - 10 + i]
            term = part if bit else ~part
            hit = term if hit is None else hit & term
        total += hit.sum(axis=(-1, -2), dtype=np.int64)
    return 40 * total


def _penalties(a: Any) -> Any:
    """qrcode.util.lost_point for a stack of symbols (K, n, n) -> (K,)."""
    import numpy as np

    n = a.shape[-1]
    at = a.transpose(0, 2, 1)
    score = _run_penalty(a) + _run_penalty(at)
    block = (
        (a[:, :-1, :-1] == a[:, :-1, 1:])
        & (a[:, :-1, :-1] == a[:, 1:, :-1])
        & (a[:, :-1, :-1] == a[:, 1:, 1:])
    )
    score += 3 * block.sum(axis=(1, 2), dtype=np.int64)
    score += _finder_penalty(a) + _finder_penalty(at)
    dark = a.sum(axis=(1, 2), dtype=np.int64).astype(np.float64)
    rating = np.floor(np.abs(dark / (n * n) * 100 - 50) / 5).astype(np.int64)
    return score + rating * 10


def _batch(items: Sequence[tuple[str, QRSpec]], chunk: int = 256) -> list[Matrix]:
    import numpy as np

    out: list[Matrix | None] = [None] * len(items)
    by_version: dict[int, list[int]] = {}
    for index, (_payload, spec) in enumerate(items):
        by_version.setdefault(spec.version, []).append(index)
    for version, indices in by_version.items():
        flips = _mask_flips(version)
        for start in range(0, len(indices), chunk):
            part = indices[start : start + chunk]
            codes = []
            tests = []
            for index in part:
                payload, spec = items[index]
                code = _new(payload, spec.ecc, version)
                code.makeImpl(True, 0)  # format and version cells light, as qrcode scores them
                codes.append(code)
                tests.append(code.modules)
            base = np.array(tests, dtype=bool)  # (K, n, n)
            stack = (base[:, None, :, :] ^ flips[None, :, :, :]).reshape(-1, *base.shape[1:])
            best = _penalties(stack).reshape(len(part), 8).argmin(axis=1)
            chosen = stack.reshape(len(part), 8, *base.shape[1:])[np.arange(len(part)), best]
            for index, code, mask, cells in zip(part, codes, best, chosen, strict=True):
                # the scored symbol already has the mask applied; add its real format bits
                code.modules = cells.tolist()
                code.setup_type_info(False, int(mask))
                if version >= 7:
                    code.setup_type_number(False)
                out[index] = code.modules
    return [m for m in out if m is not None]
