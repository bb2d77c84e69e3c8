"""Console settings the operator changes at run time: provider costs, the
margin floor and the rollout stage. Defaults come from the configuration;
a change is stored in `operator_settings` and audited with before → after."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import current_app

from app.audit import services as audit
from app.extensions import db
from app.models import AuditScope, OperatorSetting

COSTS = "costs"
ROLLOUT = "rollout"

COST_FIELDS = {
    # field: (config default, label)
    "inbound_minute": ("COST_PER_INBOUND_MINUTE", "Cost per inbound minute"),
    "outbound_minute": ("COST_PER_OUTBOUND_MINUTE", "Cost per outbound minute"),
    "message": ("COST_PER_MESSAGE", "Cost per message"),
    "margin_floor_percent": ("MARGIN_FLOOR_PERCENT", "Margin floor (%)"),
}


class SettingError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _stored(key: str) -> dict:
    row = db.session.get(OperatorSetting, key)
    return dict(row.value) if row is not None else {}


def costs() -> dict[str, Decimal]:
    stored = _stored(COSTS)
    return {
        name: Decimal(str(stored.get(name, current_app.config[setting])))
        for name, (setting, _label) in COST_FIELDS.items()
    }


def parse_costs(form: dict) -> dict[str, Decimal]:
    """Every field a non-negative amount (the floor at most 100 %), or SettingError by field."""
    parsed, errors = {}, {}
    for name, (_setting, label) in COST_FIELDS.items():
        raw = (form.get(name) or "").strip()
        try:
            value = Decimal(raw)
        except (InvalidOperation, ValueError):
            errors[name] = f"{label}: enter a number such as 0.05."
            continue
        if not value.is_finite() or value < 0 or value > Decimal("1000"):
            errors[name] = f"{label}: between 0 and 1000."
        elif name == "margin_floor_percent" and value > 100:
            errors[name] = f"{label}: at most 100."
        else:
            parsed[name] = value.quantize(Decimal("0.0001"))
    if errors:
        raise SettingError(errors)
    return parsed


def save(key: str, value: dict, *, actor, reason: str | None, action: str, before: dict | None = None) -> None:
    """Store a setting and its audit entry in one transaction. `before` is the
    effective value when nothing is stored yet (the configured defaults)."""
    before = _stored(key) or before or {}
    row = db.session.get(OperatorSetting, key)
    if row is None:
        row = OperatorSetting(key=key, value=value)
        db.session.add(row)
    else:
        row.value = value
    changed_before, changed_after = audit.changed_fields(before, value)
    audit.record(action, actor=actor, scope=AuditScope.ADMIN, target_type="setting", target_id=key,
                 target_label=key, before=changed_before or before, after=changed_after or value, reason=reason)
    db.session.commit()


def save_costs(values: dict[str, Decimal], *, actor, reason: str | None) -> None:
    current = {k: str(v.quantize(Decimal("0.0001"))) for k, v in costs().items()}
    save(COSTS, {k: str(v) for k, v in values.items()}, actor=actor, reason=reason, action="settings.costs_changed",
         before=current)


def rollout() -> dict:
    stored = _stored(ROLLOUT)
    return {
        "stage": stored.get("stage", "general"),
        "allow_list": list(stored.get("allow_list", [])),
        "cap": int(stored.get("cap", 50)),
    }
