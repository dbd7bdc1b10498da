from django import forms

from apps.notifications.models import NotificationPreference


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_on_reply", "email_on_mention", "email_on_moderation"]
