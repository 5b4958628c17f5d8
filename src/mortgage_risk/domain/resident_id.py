"""ResidentId: the 18-digit PRC resident identity number (GB 11643-1999).

Layout: 6-digit administrative division code, 8-digit birth date (YYYYMMDD), 3-digit
sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mortgage_risk.domain.errors import DomainError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

#: Province-level division codes (GB/T 2260): the first two digits of every valid number.
PROVINCE_CODES: dict[str, str] = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
}

EARLIEST_BIRTH = date(1900, 1, 1)


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated 18-digit resident ID number."""

    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _validate(self.value))

    @classmethod
    def parse(
        cls, raw: str, *, today: date | None = None, field: str = "resident_id"
    ) -> ResidentId:
        """Validate ``raw`` and return a ResidentId; the error names ``field``."""
        try:
            rid = cls(raw)
        except DomainError as exc:
            raise DomainError(field, exc.reason) from None
        if today is not None and rid.birth_date > today:
            raise DomainError(field, "birth date is in the future")
        return rid

    @property
    def region_code(self) -> str:
        return self.value[:6]

    @property
    def province(self) -> str:
        return PROVINCE_CODES[self.value[:2]]

    @property
    def birth_date(self) -> date:
        v = self.value
        return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))

    @property
    def is_male(self) -> bool:
        return int(self.value[16]) % 2 == 1

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def masked(self) -> str:
        """Shown to roles that do not need the full number: region kept, the rest hidden."""
        return f"{self.value[:6]}********{self.value[14:17]}*"

    def __str__(self) -> str:
        return self.value


def mask(raw: str) -> str:
    """Mask a stored ID number (validated or not) for display."""
    if len(raw) == 18:
        return f"{raw[:6]}********{raw[14:17]}*"
    return "*" * len(raw)


def _validate(raw: object) -> str:
    if not isinstance(raw, str):
        raise DomainError("resident_id", "must be a string of 18 characters")
    value = raw.strip().upper()
    if len(value) != 18:
        raise DomainError("resident_id", f"must have 18 characters, got {len(value)}")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise DomainError("resident_id", "must be 17 digits followed by a digit or X")
    if value[:2] not in PROVINCE_CODES:
        raise DomainError("resident_id", f"unknown province code {value[:2]}")
    if value[2:6] == "0000":
        raise DomainError("resident_id", f"region code {value[:6]} is a province, not a county")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise DomainError(
            "resident_id", f"birth date {value[6:14]} is not a calendar date"
        ) from None
    if born < EARLIEST_BIRTH:
        raise DomainError("resident_id", f"birth date {born.isoformat()} is before 1900")
    if born > date.today():
        raise DomainError("resident_id", "birth date is in the future")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise DomainError("resident_id", f"check digit is {value[17]}, expected {expected}")
    return value
