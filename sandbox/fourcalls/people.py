"""Made-up callers: names and US phone numbers."""
from __future__ import annotations

import random

FIRST_NAMES = (
    "Ana", "Ben", "Carmen", "David", "Elena", "Frank", "Grace", "Hector", "Isabel", "Jamal",
    "Kara", "Luis", "Maya", "Nate", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tasha",
    "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Aiden", "Bianca", "Caleb", "Dana",
    "Eli", "Fatima", "Gavin", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Marcus", "Nina",
    "Owen", "Paula", "Rafael", "Sofia", "Tom", "Valeria", "Will", "Yara", "Diego", "Mei",
)
LAST_NAMES = (
    "Garcia", "Smith", "Nguyen", "Johnson", "Patel", "Brown", "Martinez", "Lee", "Davis", "Lopez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Perez", "Roberts", "Turner",
    "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Sanchez", "Morris", "Reyes",
)
AREA_CODES = ("512", "737", "214", "469", "713", "832", "210", "415", "646", "312", "305", "404",
              "602", "303", "206", "617", "702", "615", "919", "503")


def random_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def random_phone(rng: random.Random, area: str | None = None) -> str:
    # Line numbers ending in 0000 are reserved for "undeliverable" in the messages simulation.
    line = rng.randint(1, 9998)
    return f"+1{area or rng.choice(AREA_CODES)}{rng.randint(200, 999)}{line:04d}"


def first_name(full_name: str | None) -> str:
    return (full_name or "there").split()[0]


def spoken_phone(phone: str) -> str:
    digits = phone[2:] if phone.startswith("+1") else phone.lstrip("+")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits
