from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password

from apps.users.handles import HANDLE_MAX_LENGTH, HANDLE_MIN_LENGTH
from apps.users.links import normalise_orcid
from apps.users.models import User
from apps.users.names import normalise_display_name, validate_display_name
from apps.users.services import PROFILE_FIELDS


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, saying up front what a handle may be."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = (
            f"Your public handle, in your profile address /users/…: {HANDLE_MIN_LENGTH} to "
            f"{HANDLE_MAX_LENGTH} letters, digits, hyphens or underscores. It cannot be changed."
        )
        self.fields["email"].help_text = "Never shown to anyone. We send a link to confirm it."

    def try_save(self, request):
        """An address that already has an account costs what a new account costs.

        allauth then only mails the owner (through the same queued path as a confirmation),
        skipping the password hash that dominates a real sign-up: the response time would tell
        who is registered. Hashing the password anyway, and discarding it, evens that out.
        """
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class ProfileForm(forms.ModelForm):
    orcid_url = forms.CharField(
        label="ORCID iD",
        required=False,
        max_length=200,
        help_text="Your iD (0000-0002-1825-0097) or its orcid.org address.",
    )

    class Meta:
        model = User
        fields = PROFILE_FIELDS
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "display_name": "Your name as others see it; your handle stays the same.",
            "bio": "A few words about your research. Plain text, up to 2000 characters.",
            "github_url": "https://github.com/yourname",
            "scholar_url": "https://scholar.google.com/citations?user=…",
        }

    def clean_display_name(self) -> str:
        value = normalise_display_name(self.cleaned_data.get("display_name") or "")
        validate_display_name(value, user=self.instance)
        return value

    def clean_orcid_url(self) -> str:
        return normalise_orcid(self.cleaned_data.get("orcid_url") or "")


class AccountDeleteForm(forms.Form):
    confirm_username = forms.CharField(
        label="Type your username to confirm", max_length=150, strip=True
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_confirm_username(self) -> str:
        value = self.cleaned_data["confirm_username"]
        if value.lower() != self.user.username.lower():
            raise forms.ValidationError("That is not your username.")
        return value
