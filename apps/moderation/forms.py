from django import forms

from apps.moderation.models import Flag, ModerationAction
from apps.moderation.services import MAX_SUSPENSION_DAYS
from apps.papers.arxiv_ids import arxiv_id_from_input
from apps.papers.models import Paper
from apps.papers.services import EDITABLE_FIELDS
from apps.users.handles import HANDLE_URL_PATTERN

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


class ApproveForm(forms.Form):
    """Approving a submission: the day it goes on (today by default) and a private note."""

    day = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Choose a day in the calendar (YYYY-MM-DD)."},
    )
    note = forms.CharField(max_length=NOTE_LENGTH, required=False)


class NoteForm(forms.Form):
    """Decisions without a public reason (dismissing flags, approving a claim)."""

    note = forms.CharField(max_length=NOTE_LENGTH, required=False)


class SuspendForm(ReasonForm):
    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_SUSPENSION_DAYS,
        error_messages={
            "required": "Say for how many days.",
            "invalid": "Give the number of days as a whole number.",
            "min_value": f"Suspend for 1 to {MAX_SUSPENSION_DAYS} days.",
            "max_value": f"Suspend for 1 to {MAX_SUSPENSION_DAYS} days; a ban is for longer.",
        },
    )


class LogFilterForm(forms.Form):
    """The public log's filters (GET): a moderator's handle, an action, an item type."""

    moderator = forms.RegexField(
        regex=rf"^{HANDLE_URL_PATTERN}\Z",
        required=False,
        error_messages={"invalid": "That is not a handle: letters, digits and . _ - + @ only."},
    )
    action = forms.ChoiceField(
        choices=[("", "Any action"), *ModerationAction.Action.choices],
        required=False,
        error_messages={"invalid_choice": "There is no action “%(value)s” in the log."},
    )
    type = forms.ChoiceField(
        choices=[("", "Any item"), *ModerationAction.TargetType.choices],
        required=False,
        error_messages={"invalid_choice": "There is no item type “%(value)s” in the log."},
    )

    def __init__(self, data, *args, **kwargs):
        # "@ada" and "ada" name the same moderator.
        data = data.copy()
        if moderator := data.get("moderator"):
            data["moderator"] = moderator.strip().removeprefix("@")
        super().__init__(data, *args, **kwargs)

    def filters(self) -> dict[str, str]:
        """The selector's keyword arguments; call after ``is_valid()``."""
        data = self.cleaned_data
        return {
            "moderator": data["moderator"],
            "action": data["action"],
            "target_type": data["type"],
        }

    def error_message(self) -> str:
        return " ".join(error for errors in self.errors.values() for error in errors)


# --- Acting where the content is (views/items.py) -----------------------------------------


class FlagForm(forms.Form):
    """A reader's flag: one of the reasons valid for the item, and details (required for
    "other"; the service says so)."""

    reason = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a reason.",
            "invalid_choice": "Choose one of the listed reasons.",
        },
    )
    text = forms.CharField(
        max_length=Flag._meta.get_field("text").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reasons: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(reason, Flag.Reason(reason).label) for reason in reasons]


class PaperEditForm(ReasonForm):
    """A paper's editable metadata, validated like the model, and the reason for the edit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        paper_fields = forms.fields_for_model(
            Paper,
            fields=EDITABLE_FIELDS,
            labels={"doi": "DOI", "github_repo": "GitHub repository"},
            widgets={
                "abstract": forms.Textarea(attrs={"rows": 8}),
                "comment": forms.Textarea(attrs={"rows": 2}),
            },
        )
        self.fields = {**paper_fields, **self.fields}
        self.fields["reason"].help_text = "Public: the moderation log shows it."

    def clean(self):
        # Browsers send textareas with CRLF: without this every multi-line field would change.
        data = super().clean()
        for name in EDITABLE_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = data[name].replace("\r\n", "\n")
        return data

    def paper_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class MergeForm(forms.Form):
    """Merging a duplicate: the paper it duplicates (any form of arXiv id or link), the
    public reason, a private note; ``confirm`` is set by the preview step."""

    into = forms.CharField(
        label="Merge into",
        max_length=300,
        help_text="The paper this one duplicates: its arXiv id or link.",
        error_messages={"required": "Enter the arXiv id or link of the paper to keep."},
    )
    reason = forms.CharField(
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Public: the submitter and the moderation log show it.",
        error_messages={"required": "Give a reason: the submitter and the public log show it."},
    )
    note = forms.CharField(
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Private: only moderators see it.",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_into(self) -> str:
        try:
            arxiv_id, _version = arxiv_id_from_input(self.cleaned_data["into"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc
        return arxiv_id
