"""Who hears of what in staffing, by e-mail (filled in by the staffing notices work)."""

from __future__ import annotations

from app.staffing.models import SessionProposal


def proposal_made(proposal: SessionProposal) -> None:
    """Tell the coordinators a partner proposed a class (inside the caller's transaction)."""


def proposal_decided(proposal: SessionProposal) -> None:
    """Tell the proposing partner the coordinator approved or declined its proposal."""
