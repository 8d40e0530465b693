"""The Thai government's fiscal year (ปีงบประมาณ), October to September, named by its พ.ศ. year."""

from __future__ import annotations

from datetime import datetime

from handlers.thaitime.words import BUDDHIST_ERA_OFFSET, TZ


def fiscal_year_of(moment: datetime) -> int:
    """The fiscal year (พ.ศ.) a moment falls in: ปีงบประมาณ 2570 runs 1 Oct 2026 – 30 Sep 2027."""
    local = moment.astimezone(TZ)
    return local.year + BUDDHIST_ERA_OFFSET + (1 if local.month >= 10 else 0)


def fiscal_year_start(moment: datetime) -> datetime:
    """Midnight of 1 October, Bangkok time, that begins the fiscal year `moment` falls in."""
    local = moment.astimezone(TZ)
    year = local.year if local.month >= 10 else local.year - 1
    return local.replace(year=year, month=10, day=1, hour=0, minute=0, second=0, microsecond=0)
