"""Why a team file, an envelope or a bundle is refused: one class per code.

Each says what was wrong and what to do, and never names a case, a person or an answer
(the files are refused before anything in them could be shown).
"""

from __future__ import annotations

from ddassess.codes import Code
from ddassess.errors import UserFacingError


class TeamFileError(UserFacingError):
    """Not a team file of the kind expected."""

    code = Code.TEAM_001
    exit_code = 20


class TeamFileTooNew(TeamFileError):
    code = Code.TEAM_002


class TeamFileDamaged(TeamFileError):
    code = Code.TEAM_003


class MembershipForAnotherLaptop(TeamFileError):
    code = Code.TEAM_004


class TeamMembershipProblem(UserFacingError):
    """Not a member yet, or a member of another team."""

    code = Code.TEAM_005
    exit_code = 21


class NoSuchMember(UserFacingError):
    code = Code.TEAM_006
    exit_code = 16


class RosterNotNewer(TeamFileError):
    code = Code.TEAM_007


class EnvelopeError(UserFacingError):
    """Base of every refusal of an envelope or a bundle: nothing of it was written."""

    code = Code.ENV_000
    exit_code = 22


class Truncated(EnvelopeError):
    code = Code.ENV_001


class Tampered(EnvelopeError):
    code = Code.ENV_002


class TooNew(EnvelopeError):
    code = Code.ENV_003


class NotForYou(EnvelopeError):
    code = Code.ENV_004


class OtherTeam(EnvelopeError):
    code = Code.ENV_005


class OtherCase(EnvelopeError):
    code = Code.ENV_006


class UnknownSigner(EnvelopeError):
    code = Code.ENV_007


class RevokedSigner(EnvelopeError):
    code = Code.ENV_008


class NotAnEnvelope(EnvelopeError):
    code = Code.ENV_009


class DuplicateInBundle(EnvelopeError):
    code = Code.ENV_010


class AlreadyReceived(EnvelopeError):
    code = Code.ENV_011
