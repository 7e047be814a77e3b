"""What an overwrite pass writes: zeros, or an AES-CTR keystream that can be re-made anywhere.

The keystream for byte offset ``o`` is AES-CTR with the counter block ``nonce + o // 16``, so any
block of the disk can be regenerated on its own: a full verification regenerates the whole stream,
a sample verification only the blocks it reads, and a later audit can do either from the seed kept
in the erasure record. AES-NI makes this several GB/s on one core, faster than any disk.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_ZEROS: dict[int, bytes] = {}


def zeros(size: int) -> bytes:
    """A shared read-only zero block (calloc'ed pages cost no memory until read)."""
    block = _ZEROS.get(size)
    if block is None:
        block = _ZEROS[size] = bytes(size)
    return block


class Pattern(Protocol):
    name: str
    # True when every block is identical (nothing to generate per block).
    constant: bool

    def fill(self, out: Any, offset: int) -> None:
        """Write the pattern's bytes for ``[offset, offset + len(out))`` into ``out``."""

    def describe(self) -> dict[str, Any]:
        """What the erasure record says about the pattern (enough to regenerate it)."""


class ZeroPattern:
    name = "zero"
    constant = True

    def fill(self, out: Any, offset: int) -> None:
        view = memoryview(out).cast("B")
        view[:] = zeros(len(view))

    def describe(self) -> dict[str, Any]:
        return {"pattern": "zero", "description": "binary zeros (0x00)"}


class AesCtrPattern:
    """AES-CTR keystream (encrypting zeros), seeded per wipe."""

    constant = False

    def __init__(self, key: bytes, nonce: bytes) -> None:
        if len(key) not in (16, 32) or len(nonce) != 16:
            raise ValueError("AES-CTR needs a 16- or 32-byte key and a 16-byte nonce")
        self.key = key
        self.nonce = nonce
        self._base = int.from_bytes(nonce, "big")
        self._algorithm = algorithms.AES(key)
        self.name = f"aes-{len(key) * 8}-ctr"

    @classmethod
    def random(cls, key_bits: int = 128) -> AesCtrPattern:
        return cls(os.urandom(key_bits // 8), os.urandom(16))

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> AesCtrPattern:
        return cls(bytes.fromhex(data["key"]), bytes.fromhex(data["nonce"]))

    def fill(self, out: Any, offset: int) -> None:
        if offset % 16:
            raise ValueError("AES-CTR blocks start on 16-byte boundaries")
        counter = (self._base + offset // 16) % (1 << 128)
        encryptor = Cipher(self._algorithm, modes.CTR(counter.to_bytes(16, "big"))).encryptor()
        view = memoryview(out).cast("B")
        encryptor.update_into(zeros(len(view)), view)

    def describe(self) -> dict[str, Any]:
        return {
            "pattern": self.name,
            "description": f"AES-{len(self.key) * 8} CTR keystream, counter = nonce + offset/16",
            # Not a secret: it only lets an auditor regenerate what was written.
            "key": self.key.hex(),
            "nonce": self.nonce.hex(),
        }


def make_pattern(name: str, key_bits: int = 128) -> ZeroPattern | AesCtrPattern:
    if name == "zero":
        return ZeroPattern()
    if name == "prng":
        return AesCtrPattern.random(key_bits)
    raise ValueError(f"unknown overwrite pattern {name!r}")
