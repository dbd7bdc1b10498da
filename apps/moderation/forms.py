from django import forms

from apps.moderation.models import ModerationAction

REASON_LENGTH = ModerationAction._meta.get_field("reason").max_length
NOTE_LENGTH = ModerationAction._meta.get_field("note").max_length


class ReasonForm(forms.Form):
    """Every moderator decision: a public reason (the user and the log show it) and an
    optional note only moderators see."""

    reason = forms.CharField(
        max_length=REASON_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Public: the user and the moderation log show it.",
    )
    note = forms.CharField(
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Private: only moderators see it.",
    )
