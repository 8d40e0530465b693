"""Reading and writing dates and times the way Thais type them, always in Asia/Bangkok.

parse_when(text, now) understands Thai and English dates and times mixed with any other words:
Buddhist-era (พ.ศ.) and Christian-era (ค.ศ.) years, Thai digits, Thai and English month names,
numeric dates (day first), the Thai six-hour clock (ตีสอง, บ่ายสองโมง, สามทุ่มครึ่ง ...),
relative days (พรุ่งนี้, อีก 3 วัน, in 2 weeks) and weekdays (ศุกร์นี้, เสาร์หน้า, next monday).
Between midnight and 04:00, พรุ่งนี้ / tomorrow is the coming morning (the calendar's today).

What the caller must know:

- Years: a 4-digit year >= 2400 is พ.ศ. (minus 543), a smaller one is ค.ศ.; a 2-digit year is
  always พ.ศ. (69 = 2569 = 2026) unless written after ค.ศ., in English text too (20 Dec 26 is 1983).
- Date only: parse_when returns midnight of that date. To tell "no time given" apart from a real
  00:00, call parse_when_parts, whose WhenParts has time=None when the text gave no time (and
  date=None when it gave only a time), then ask the user for what is missing.
- Time only: the next occurrence, today if still ahead of `now`, otherwise tomorrow.
- A date without a year: the first such date on or after today (29 Feb waits for a leap year).
  A date with a time already passed today stays today: results can be in the past and it is
  the caller's job to refuse them.
- Weekdays, for every weekday word X (จันทร์ … อาทิตย์, Monday … Sunday):
  - bare X, "X นี้", "X ที่จะถึง", "this X", "coming X": the coming X, 0–7 days ahead. Today when
    today is X and no time is given or the time is still ahead; when today is X and the time has
    passed, the X 7 days later. (On Saturday 10:00, เสาร์นี้ 15:00 is today, เสาร์นี้ 9:00 the 28th.)
  - "X หน้า", "X สัปดาห์หน้า", "next X": 7 days after this week's X counted from today, 7–13 days
    ahead, whatever the time: on a Saturday, เสาร์หน้า is the Saturday 7 days later (never 14), and
    on Saturday 21 Nov, จันทร์หน้า is Monday 30 Nov (จันทร์ / จันทร์นี้ is Monday 23).
  A bare อาทิตย์ is Sunday (อาทิตย์หน้า = next Sunday) except in "อีก 2 อาทิตย์" (two weeks).
- Contradictions give None: a weekday that does not match the date given, or an explicit date
  that disagrees with a relative one (พรุ่งนี้ 20 ธ.ค.). Impossible values give None too
  (31 เม.ย., 25:00), even when the rest of the text is fine.
- Several dates or several times (ranges such as 13.00-16.00 น.): the first one written wins.
- "อีก 2 ชั่วโมง" / "in 30 minutes" is `now` plus that, cut to the minute, and cannot be combined
  with another date or time. "อีก 1 เดือน" keeps the day of month, clamped to the month's end.
- All datetimes going in must be timezone-aware (naive ones raise ValueError); all coming out
  are in Asia/Bangkok. LINE datetime-picker values carry no zone and are read as Bangkok time.
"""

from handlers.thaitime.fiscal import fiscal_year_of, fiscal_year_start
from handlers.thaitime.reading import (
    LATE_NIGHT_END,
    WhenParts,
    from_picker_value,
    parse_when,
    parse_when_parts,
    too_far_ahead,
)
from handlers.thaitime.words import (
    BUDDHIST_ERA_OFFSET,
    ENGLISH_MONTHS,
    ENGLISH_WEEKDAYS,
    THAI_MONTH_ABBREVIATIONS,
    THAI_MONTHS,
    THAI_MONTHS_SPOKEN,
    THAI_WEEKDAYS,
    TZ,
)
from handlers.thaitime.writing import format_date, format_when, format_when_en, format_when_in, to_picker_value

__all__ = [
    "BUDDHIST_ERA_OFFSET", "ENGLISH_MONTHS", "ENGLISH_WEEKDAYS", "LATE_NIGHT_END", "THAI_MONTHS",
    "THAI_MONTHS_SPOKEN", "THAI_MONTH_ABBREVIATIONS", "THAI_WEEKDAYS", "TZ", "WhenParts", "format_date",
    "fiscal_year_of", "fiscal_year_start",
    "format_when", "format_when_en", "format_when_in", "from_picker_value", "parse_when", "parse_when_parts",
    "to_picker_value", "too_far_ahead",
]
