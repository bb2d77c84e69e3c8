"""Stripe's documented test card numbers and how each one behaves here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from .errors import StripeApiError, card_error


@dataclass(frozen=True)
class TestCard:
    brand: str
    # None: every charge succeeds; otherwise the decline code of failing charges.
    decline_code: Optional[str] = None
    # True for cards that attach fine (checkout succeeds) but fail later charges,
    # like 4000 0000 0000 0341. Real Stripe also fails the first checkout charge
    # for that number; the sandbox lets it through so renewals can be exercised.
    fails_after_attach: bool = False


TEST_CARDS = {
    "4242424242424242": TestCard("visa"),
    "4000056655665556": TestCard("visa"),
    "5555555555554444": TestCard("mastercard"),
    "4000000000000002": TestCard("visa", decline_code="generic_decline"),
    "4000000000009995": TestCard("visa", decline_code="insufficient_funds"),
    "4000000000000341": TestCard("visa", decline_code="generic_decline", fails_after_attach=True),
}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def normalize_number(raw: str) -> str:
    return "".join(ch for ch in (raw or "") if ch.isdigit())


def check_card_for_checkout(number: str, expiry: Optional[str] = None, cvc: Optional[str] = None) -> TestCard:
    """Validates a card as Checkout would; raises a card error if it can't be used now."""
    card = TEST_CARDS.get(normalize_number(number))
    if card is None:
        raise card_error("Your card number is invalid.", "invalid_number", param="number")
    if expiry is not None:
        _check_expiry(expiry)
    if cvc is not None and not (cvc.strip().isdigit() and len(cvc.strip()) in (3, 4)):
        raise card_error("Your card's security code is incomplete.", "incomplete_cvc", param="cvc")
    if card.decline_code and not card.fails_after_attach:
        raise declined(card.decline_code)
    return card


def declined(decline_code: str) -> StripeApiError:
    return card_error(DECLINE_MESSAGES.get(decline_code, "Your card was declined."),
                      "card_declined", decline_code)


def charge_outcome(card: TestCard) -> Optional[str]:
    """Decline code for an off-session charge (renewals, prorations), or None if it succeeds."""
    return card.decline_code


def _check_expiry(expiry: str) -> None:
    parts = expiry.replace(" ", "").split("/")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise card_error("Your card's expiration date is incomplete.", "incomplete_expiry", param="exp")
    month, year = int(parts[0]), int(parts[1])
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise card_error("Your card's expiration month is invalid.", "invalid_expiry_month", param="exp_month")
    today = dt.date.today()
    if (year, month) < (today.year, today.month):
        raise card_error("Your card's expiration year is in the past.", "invalid_expiry_year", param="exp_year")


def card_details(number: str, expiry: Optional[str]) -> dict:
    digits = normalize_number(number)
    card = TEST_CARDS[digits]
    month, year = 12, dt.date.today().year + 3
    if expiry:
        parts = expiry.replace(" ", "").split("/")
        if len(parts) == 2 and all(part.isdigit() for part in parts):
            month, year = int(parts[0]), int(parts[1])
            year = year + 2000 if year < 100 else year
    return {
        "brand": card.brand,
        "country": "US",
        "exp_month": month,
        "exp_year": year,
        "funding": "credit",
        "last4": digits[-4:],
    }
