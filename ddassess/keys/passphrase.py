"""The passphrase way in: what a new passphrase must be, and its argon2id wrapping key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ddassess.errors import WeakPassphraseError

MIN_PASSPHRASE_LENGTH = 10


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost; stored beside each passphrase wrap so it can be raised later."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def to_dict(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KdfParams:
        return cls(time_cost=int(d["t"]), memory_kib=int(d["m"]), parallelism=int(d["p"]))



def passphrase_problem(passphrase: str) -> str | None:
    """Why a new passphrase is refused, or None. Checked at set-up and on change."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return (
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters "
            "(a few unrelated words are easy to remember and hard to guess)."
        )
    if len(set(passphrase)) < 4:
        return "The passphrase repeats too few characters to be safe: choose another."
    if passphrase != passphrase.strip():
        return "The passphrase starts or ends with a space, which is easy to lose: remove it."
    return None


def check_new_passphrase(passphrase: str) -> None:
    problem = passphrase_problem(passphrase)
    if problem:
        raise WeakPassphraseError(problem)


def derive_passphrase_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )
