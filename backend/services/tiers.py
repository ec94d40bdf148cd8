"""Which rate-limit tier a caller is in."""

from __future__ import annotations

from backend.services.auth import Principal


class TierConfigError(ValueError):
    pass


def parse_user_tiers(text: str, known: set[str]) -> dict[str, str]:
    """``"alice:premium,bob:normal"`` -> {"alice": "premium", ...}; unknown tiers refused."""
    out: dict[str, str] = {}
    for n, entry in enumerate(filter(None, (e.strip() for e in text.split(","))), 1):
        user, sep, tier = entry.partition(":")
        if not sep or not user or not tier:
            raise TierConfigError(f"TASKDECK_USER_TIERS entry {n} ({entry!r}) is not user:tier")
        if tier not in known:
            raise TierConfigError(
                f"TASKDECK_USER_TIERS entry {n}: tier {tier!r} is not one of {', '.join(sorted(known))}"
            )
        out[user] = tier
    return out


def tier_of(user: str | None, principal: Principal | None, user_tiers: dict[str, str]) -> str:
    if (
        principal is not None
        and principal.role == "admin"
        and (user is None or user == principal.user)
    ):
        return "admin"
    if user is None:
        return "anonymous"
    return user_tiers.get(user, "normal")
