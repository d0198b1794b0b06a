"""One exception tree for the whole product.

Every error a user can meet is a ``UserFacingError``: its ``str()`` says what was wrong
and what to do, in plain words, and never contains case data. The CLI prints it and
exits with ``exit_code``; the desktop client shows it through one ``show_error``.
Each class has a ``code`` of its own, a member of ``ddassess.codes.Code``.
Anything that is not a ``DdassessError`` is a bug and goes to the crash handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ddassess.codes import Code


class DdassessError(Exception):
    """Base of every error raised on purpose by ddassess."""


class UserFacingError(DdassessError):
    """An error whose message is written for the practitioner."""

    exit_code = 1
    code: Code = Code.GEN_001

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class UserCancelled(DdassessError):
    """The user chose to stop; shown as nothing at all."""


# --- the store -------------------------------------------------------------------------


class StoreError(UserFacingError):
    code = Code.STORE_000


class NoStoreError(StoreError):
    code = Code.STORE_001
    exit_code = 3


class StoreExistsError(StoreError):
    code = Code.STORE_002
    exit_code = 2  # bad input: `init` was pointed at a folder that already holds a store


class NotAStoreError(StoreError):
    code = Code.STORE_003
    exit_code = 4


class StoreVersionError(StoreError):
    code = Code.STORE_004
    exit_code = 5


class UpgradeFailedError(StoreVersionError):
    """A schema upgrade was refused and rolled back; the store is as it was."""

    code = Code.STORE_010


class CorruptStoreError(StoreError):
    code = Code.STORE_005
    exit_code = 6


class StoreLockedError(StoreError):
    """Another ddassess process has this store open."""

    code = Code.STORE_006
    exit_code = 7


class StoreClosedError(StoreError):
    """The store object was closed (locked): its key is gone and it reads and writes nothing."""

    code = Code.STORE_009
    exit_code = 7


class IntegrityProblem(StoreError):
    """``store check`` found the store or its audit trail altered."""

    code = Code.STORE_007
    exit_code = 8


class StoreAccessError(StoreError):
    """A store's file or folder cannot be used as it is: a folder, pipe or device where a
    file belongs, no permission, or a read-only folder for a command that must write."""

    code = Code.STORE_011
    exit_code = 14


class KeyFileChangedError(StoreLockedError):
    """The key file on disk is not the one this process read or wrote last: not replaced."""

    code = Code.STORE_013


class KeyFileWriteError(StoreError):
    """The key file could not be written (full disk, I/O error); nothing was changed."""

    code = Code.STORE_012
    exit_code = 15


class RecordNotFound(StoreError):
    """Something the command named or needs is not in the store (a case, a form, a person)."""

    code = Code.STORE_008
    exit_code = 16


class CaseNotFoundError(RecordNotFound):
    """No case with the reference given."""

    code = Code.CASE_001
    exit_code = 16


class NoCarePlanError(RecordNotFound):
    """The case exists but has no joint care plan form yet."""

    code = Code.CASE_002
    exit_code = 17


class NoSigningCertificateError(RecordNotFound):
    """The practitioner has no signing certificate (or the store no team authority) yet."""

    code = Code.SIGN_003
    exit_code = 18


class SharingRefusedError(UserFacingError):
    """Adding a practitioner of another service to a case's care team, without consent that
    allows it and without a lawful basis for sharing without consent."""

    code = Code.SHARE_001
    exit_code = 19


class InvalidInputError(UserFacingError):
    """Input from the user that cannot be accepted; the message says which and why."""

    code = Code.INPUT_001
    exit_code = 2


# --- keys ------------------------------------------------------------------------------


class KeyProblem(UserFacingError):
    """Base for problems with passphrases, recovery keys and the database key."""

    code = Code.KEY_000


class WrongKeyError(KeyProblem):
    code = Code.KEY_001
    exit_code = 9


class WrongPassphraseError(WrongKeyError):
    code = Code.KEY_002


class WrongRecoveryKeyError(WrongKeyError):
    code = Code.KEY_003


class MalformedRecoveryKeyError(WrongRecoveryKeyError):
    code = Code.KEY_004


class WeakPassphraseError(KeyProblem, InvalidInputError):
    code = Code.KEY_005
    exit_code = 2


# --- forms -----------------------------------------------------------------------------


class FormDefinitionError(UserFacingError):
    """A form file has problems; ``problems`` lists every one found."""

    code = Code.FORM_000

    def __init__(self, message: str, problems: Sequence[Any] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class UnknownFormError(UserFacingError):
    code = Code.INPUT_002
    exit_code = 2  # bad input: a form id (or version) the catalogue does not have
