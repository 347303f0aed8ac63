"""Teams and API tokens. A token is shown once; the database keeps only its sha256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataforge.errors import UsageError
from dataforge.service.models import Team, Token, now

PREFIX = "dfk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(s: Session, team_name: str) -> str:
    """A new token for `team_name` (the team is created on first use). Returns the token itself."""
    if not team_name or len(team_name) > 64 or not all(c.isalnum() or c in "-_." for c in team_name):
        raise UsageError(f"--team {team_name!r}: use 1-64 letters, digits, '-', '_' or '.'")
    team = s.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        team = Team(name=team_name)
        s.add(team)
        s.flush()
    token = PREFIX + secrets.token_urlsafe(32)
    s.add(Token(team_id=team.id, token_hash=hash_token(token), prefix=token[:12]))
    return token


def revoke_token(s: Session, token_or_prefix: str) -> int:
    """Revoke a token given in full or by its printed prefix; returns how many were revoked."""
    rows = s.scalars(select(Token).where(Token.revoked_at.is_(None))).all()
    hit = [t for t in rows if t.token_hash == hash_token(token_or_prefix) or t.prefix == token_or_prefix]
    if not hit:
        raise UsageError(f"no active token matches {token_or_prefix!r}")
    for t in hit:
        t.revoked_at = now()
    return len(hit)


def team_for(s: Session, token: str) -> Team | None:
    row = s.scalar(select(Token).where(Token.token_hash == hash_token(token), Token.revoked_at.is_(None)))
    return s.get(Team, row.team_id) if row else None
