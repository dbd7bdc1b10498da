from django import forms
from django.core.exceptions import ValidationError

from apps.comments.models import MAX_BODY_LENGTH
from apps.comments.services import comment_body_clean


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "maxlength": MAX_BODY_LENGTH,
                "placeholder": "Markdown with $maths$, `code`, > quotes and @mentions",
            }
        ),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_body(self) -> str:
        try:
            return comment_body_clean(self.cleaned_data["body"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
