from django import forms
from django.core.exceptions import ValidationError

from apps.papers.arxiv_ids import arxiv_id_from_input


class SubmissionForm(forms.Form):
    text = forms.CharField(
        label="arXiv id or URL",
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "placeholder": "2410.09692, arXiv:2410.09692 or https://arxiv.org/abs/2410.09692",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
        error_messages={"required": "Enter an arXiv id or link, such as 2410.09692."},
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            arxiv_id_from_input(text)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        return text
