from functools import cache

from django import forms

from apps.digests.models import Frequency
from apps.digests.schedule import time_zone_names
from apps.digests.services import OPTION_ERRORS

HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


def _listed(name: str) -> bool:
    """Zones offered in the list: "UTC" and the Area/Location names, not the legacy aliases
    (``Japan``, ``EST5EDT``, ``Etc/GMT+5``...), which are still accepted."""
    return name == "UTC" or ("/" in name and not name.startswith("Etc/"))


@cache
def _zone_choices() -> tuple[tuple[str, str], ...]:
    """Sorted once per process: every form on /digest and the manage pages lists them."""
    names = sorted(name for name in time_zone_names() if _listed(name))
    return tuple((name, name.replace("_", " ")) for name in names)


class TimeZoneField(forms.ChoiceField):
    """A select of the listed zones that accepts any zone the scheduler knows."""

    def valid_value(self, value: str) -> bool:
        return value in time_zone_names()


def _errors(field: str) -> dict[str, str]:
    return {"required": OPTION_ERRORS[field], "invalid_choice": OPTION_ERRORS[field]}


class PreferencesForm(forms.Form):
    """How often and when: the delivery hour is local time in the chosen zone."""

    frequency = forms.ChoiceField(
        label="How often",
        choices=Frequency.choices,
        initial=Frequency.DAILY,
        error_messages=_errors("frequency"),
    )
    delivery_hour = forms.TypedChoiceField(
        label="Delivery time",
        choices=HOUR_CHOICES,
        coerce=int,
        initial=8,
        error_messages=_errors("delivery_hour"),
    )
    time_zone = TimeZoneField(
        label="Time zone",
        choices=_zone_choices,
        initial="UTC",
        error_messages=_errors("time_zone"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        zone = self.initial.get("time_zone")
        if not self.is_bound and zone is None:
            # No zone chosen yet: static/js/digests.js selects the browser's own.
            self.fields["time_zone"].widget.attrs["data-detect-zone"] = ""
        elif zone and not _listed(zone):  # keep an unlisted zone selectable, and selected
            field = self.fields["time_zone"]
            field.choices = [(zone, zone), *field.choices]


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={"required": OPTION_ERRORS["email"], "invalid": OPTION_ERRORS["email"]},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.org"}),
    )

    field_order = ["email", "frequency", "delivery_hour", "time_zone"]
