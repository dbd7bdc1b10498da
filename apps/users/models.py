from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.navigation import url_with
from apps.users.links import validate_github_url, validate_orcid_url, validate_scholar_url

# Shown in place of an author whose account was deleted (their comments stay).
DELETED_USER_NAME = "deleted user"

https_url = URLValidator(schemes=["http", "https"])
# A name is one line of text: it goes into email subjects and page titles.
single_line = RegexValidator(
    r"[\x00-\x1f\x7f]", "Use a single line without control characters.", inverse_match=True
)


class User(AbstractUser):
    """A Paperboard account; ``username`` is the public handle shown in URLs."""

    display_name = models.CharField(max_length=100, blank=True, validators=[single_line])
    bio = models.TextField(blank=True, max_length=2000)
    is_banned = models.BooleanField(default=False)
    # A suspended account can read and log in but not post, vote, flag or submit until then.
    suspended_until = models.DateTimeField(null=True, blank=True)
    homepage_url = models.URLField("homepage", blank=True, validators=[https_url])
    github_url = models.URLField("GitHub", blank=True, validators=[validate_github_url])
    scholar_url = models.URLField(
        "Google Scholar", blank=True, max_length=300, validators=[validate_scholar_url]
    )
    orcid_url = models.URLField("ORCID", blank=True, validators=[validate_orcid_url])

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return url_with("profiles:detail", self.username, sample="sample-handle")

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def name_with_handle(self) -> str:
        """For text (emails, titles): the name and the unique handle, which it cannot fake."""
        if self.display_name:
            return f"{self.display_name} (@{self.username})"
        return f"@{self.username}"

    @property
    def initials(self) -> str:
        """One or two letters for the generated avatar."""
        words = [word for word in self.public_name.replace("_", " ").split() if word[:1].isalnum()]
        letters = "".join(word[0] for word in words[:2]) or self.username[:1]
        return letters.upper()

    @property
    def avatar_hue(self) -> int:
        """A stable colour per handle, so the same person always gets the same circle."""
        return (
            sum(ord(char) * (index + 1) for index, char in enumerate(self.username.lower())) % 360
        )
