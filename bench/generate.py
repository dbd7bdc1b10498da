"""Generate a large, realistic Paperboard data set in its own database, fast (COPY, not ORM saves).

    python bench/generate.py --papers 100000            # into the database paperboard_bench

Creates the database if needed, migrates it, empties it and loads: users, authors (a few prolific,
most on one or two papers), papers with titles and abstracts drawn from a Zipf vocabulary, their
author lists, daily entries over about two years, heavy-tailed upvote and comment counts, and (when
the votes and comments apps are installed) the vote and comment rows behind those counts, and the
moderation rows: the log, open and resolved flags, a dozen moderators in the moderators group and a
queue of pending submissions. Then it fills the search vectors and trending scores with the site's
own services and ANALYZEs.

Deterministic for a given --seed. Refuses to touch a database whose name lacks "bench".
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_NAME", "paperboard_bench")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from config import embedded  # noqa: E402

# Settings only say where the embedded servers are (when DATABASE_URL/REDIS_URL are unset);
# this script is one of their users until it exits, like manage.py.
embedded.start()
django.setup()

import psycopg  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.urls import reverse  # noqa: E402

from apps.papers.models import Author, Authorship, DailyEntry, Paper  # noqa: E402
from apps.papers.services import paper_search_vector_refresh  # noqa: E402
from apps.submissions.services import long_date  # noqa: E402
from apps.users.models import User  # noqa: E402
from apps.users.roles import MODERATORS_GROUP  # noqa: E402
from apps.votes.services import trending_scores_refresh  # noqa: E402

# Frequent research words first: Zipf weights make them common, like real abstracts.
_CORE_WORDS = """
model models learning language large data training neural network networks method methods
results performance task tasks approach propose based show using paper new deep image images
generation diffusion transformer transformers attention reasoning benchmark evaluation agents
agent reinforcement policy video vision visual multimodal text retrieval knowledge graph
optimization efficient efficiency inference scaling fine-tuning pretraining pre-trained
instruction alignment human feedback preference reward safety robust robustness adversarial
representation representations embedding embeddings token tokens context long memory sparse
mixture experts quantization compression distillation speech audio music 3d scene point cloud
segmentation detection tracking depth estimation rendering gaussian splatting nerf robot
robotic manipulation navigation planning control mathematical math code programming theorem
proof question answering dialogue chat summarization translation multilingual low-resource
medical clinical molecular protein chemistry physics climate weather time series forecasting
causal uncertainty calibration bayesian probabilistic sampling score flow matching latent
autoencoder variational contrastive self-supervised supervised unsupervised semi-supervised
federated privacy differential fairness bias interpretability explanation mechanistic circuits
hallucination factuality chain-of-thought prompting in-context few-shot zero-shot generalization
transfer domain adaptation continual lifelong meta curriculum synthetic dataset datasets
annotation labels noisy evaluation metrics human-like open-source state-of-the-art framework
architecture layer layers parameters billion scale compute gpu hardware kernel throughput latency
"""
_FIRST_NAMES = """
Wei Jing Li Yu Xin Hao Chen Yang Jun Min Hui Lei Yan Ming Tao Fang Ana Maria Jose Luis Carlos
Juan Sofia Lucia Pablo Diego John Michael David James Robert William Mary Sarah Emily Anna Laura
Thomas Daniel Matthew Andrew Peter Paul Mark Kevin Brian Jason Ryan Eric Adam Alex Sam Max Leo
Hiroshi Takashi Yuki Kenji Akira Sakura Haruto Ji-woo Min-jun Seo-yeon Priya Rahul Amit Anjali
Arjun Vikram Deepak Neha Pooja Olga Ivan Dmitri Elena Natalia Sergei Fatima Omar Ali Hassan
Layla Youssef Amara Kwame Chidi Ngozi Lars Ingrid Sven Astrid Pierre Camille Louis Chloe Hugo
Giulia Marco Luca Francesca Matteo Noah Emma Mia Lukas Jonas Lena Felix Clara Tomasz Kasia
"""
_LAST_NAMES = """
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Kim Lee Park
Choi Jung Kang Cho Yoon Jang Lim Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura
Kobayashi Kato Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Thompson White
Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill
Patel Sharma Singh Kumar Gupta Shah Mehta Reddy Iyer Nair Ivanov Petrov Smirnov Popov Kuznetsov
Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Durand Leroy
Moreau Rossi Russo Ferrari Esposito Bianchi Romano Silva Santos Oliveira Souza Costa Pereira
Nowak Kowalski Jensen Nielsen Hansen Larsen Andersson Johansson Karlsson Nilsson Cohen Levi
"""
_SYLLABLES = "ka lo mi ra te su no vi de pa ren tor lin gra mor sol tek zan fer qui bal dor"
CORE_WORDS, FIRST_NAMES, LAST_NAMES, SYLLABLES = (
    str.split(text) for text in (_CORE_WORDS, _FIRST_NAMES, _LAST_NAMES, _SYLLABLES)
)


# Collocations real abstracts repeat, so that phrase queries match as often as they would.
PHRASES = [
    "large language models",
    "diffusion models",
    "reinforcement learning",
    "vision transformers",
    "chain-of-thought reasoning",
    "mixture of experts",
    "retrieval augmented generation",
    "state-of-the-art performance",
    "human feedback",
    "zero-shot generalization",
    "video generation",
    "graph neural networks",
    "gaussian splatting",
    "robot manipulation",
    "instruction tuning",
    "multimodal large language models",
]
PHRASE_WEIGHTS = [1.0 / rank for rank in range(1, len(PHRASES) + 1)]

# The moderation log's mix: (action, target type, weight). Most entries are submissions
# reviewed; the community's hiding of a comment (comment_flagged) has no moderator.
ACTION_MIX = [
    ("submission_approve", "submission", 30),
    ("submission_reject", "submission", 8),
    ("claim_approve", "claim", 6),
    ("claim_reject", "claim", 2),
    ("flags_dismiss", "comment", 7),
    ("flags_dismiss", "paper", 4),
    ("comment_hide", "comment", 10),
    ("comment_flagged", "comment", 5),
    ("comment_restore", "comment", 2),
    ("discussion_lock", "paper", 1.5),
    ("discussion_unlock", "paper", 0.5),
    ("paper_edit", "paper", 9),
    ("paper_unlist", "paper", 3),
    ("paper_merge", "paper", 2),
    ("user_warn", "user", 6),
    ("user_suspend", "user", 2.5),
    ("user_ban", "user", 1),
    ("user_unban", "user", 0.5),
]
# Reasons moderators give, a small vocabulary per action ("" where none is asked for).
ACTION_REASONS = {
    "submission_reject": [
        "Not a research paper.",
        "Already on the list.",
        "Off-topic for this site.",
        "Not on arXiv yet.",
    ],
    "claim_approve": [""],
    "claim_reject": [
        "The evidence does not show you are this author.",
        "Another account already holds this author.",
        "The email domain does not match the affiliation.",
    ],
    "comment_hide": [
        "Spam.",
        "Personal attack.",
        "Off-topic.",
        "Advertising.",
        "Trolling.",
        "Nothing to add beyond me-too.",
    ],
    "comment_restore": ["The flags were mistaken.", "Edited by its author.", "Restored on appeal."],
    "discussion_lock": ["Heated thread, cooling off.", "The thread went off-topic."],
    "discussion_unlock": ["", "Calmer now."],
    "paper_edit": [
        "Fixed the title.",
        "Fixed the author list.",
        "Added the code link.",
        "Corrected the project page.",
    ],
    "paper_unlist": ["Not a research paper.", "Submitted by mistake.", "Listed twice."],
    "paper_merge": ["Same paper under two arXiv ids.", "Duplicate of a listed paper."],
    "user_warn": [
        "Spam links in comments.",
        "Personal attacks.",
        "Vote manipulation.",
        "Off-topic submissions.",
    ],
    "user_suspend": ["Personal attacks after a warning.", "Spam links in comments."],
    "user_ban": ["Spam account.", "Ban evasion.", "Repeated personal attacks."],
    "user_unban": ["Appeal accepted.", "Suspension lifted early."],
}
MODERATOR_NOTES = [
    "Second time this month.",
    "Checked with the other moderators.",
    "See the earlier thread.",
    "Borderline; watch this one.",
]
# Flag reasons on comments and on papers, with weights; "other" always comes with words.
COMMENT_FLAG_REASONS = [
    ("spam", 30),
    ("unkind", 20),
    ("off_topic", 20),
    ("troll", 10),
    ("me_too", 10),
    ("other", 10),
]
PAPER_FLAG_REASONS = [
    ("off_topic", 35),
    ("metadata", 25),
    ("duplicate", 20),
    ("spam", 10),
    ("other", 10),
]
FLAG_TEXTS = [
    "Looks like an advertisement.",
    "The author list is wrong.",
    "This is the same paper as another one on the site.",
    "Rude to the other commenter.",
    "Not related to this paper at all.",
    "Copied from another thread.",
]
N_MODERATORS = 12


class Rand(random.Random):
    def zipf_weights(self, n: int, s: float = 1.07) -> list[float]:
        cumulative, total = [], 0.0
        for rank in range(1, n + 1):
            total += 1.0 / rank**s
            cumulative.append(total)
        return cumulative

    def heavy_tail(self, mu: float, sigma: float, cap: int) -> int:
        """A log-normal count: most small, a few very large (votes, comments, team sizes)."""
        return min(cap, int(self.lognormvariate(mu, sigma)))


def vocabulary(rng: Rand, size: int) -> list[str]:
    words = list(dict.fromkeys(CORE_WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def copy_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPY dicts of attname -> value into the model's table; other columns get their defaults."""
    fields = list(model._meta.concrete_fields)
    now = dt.datetime.now(tz=dt.UTC)

    def default(field: models.Field):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default() if field.has_default() or not field.null else None

    defaults = {f.attname: default(f) for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            count += 1
    return count


def ensure_database(name: str) -> None:
    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


class Generator:
    def __init__(self, *, papers: int, days: int, entry_share: float, seed: int) -> None:
        self.rng = Rand(seed)
        self.n_papers = papers
        self.n_users = max(50, papers // 20)
        self.n_authors = max(100, int(papers * 1.3))
        self.days = days
        self.entry_share = entry_share
        self.now = dt.datetime.now(tz=dt.UTC)
        self.end_day = self.now.date()
        self.words = vocabulary(self.rng, 6000)
        self.word_weights = self.rng.zipf_weights(len(self.words))
        self.user_weights = self.rng.zipf_weights(self.n_users, 1.2)
        self.author_weights = self.rng.zipf_weights(self.n_authors, 0.9)
        self.upvotes: dict[int, int] = {}
        self.comments: dict[int, int] = {}
        self.submitted: dict[int, dt.datetime] = {}
        # Filled while papers, daily entries and comments are generated, for the moderation
        # rows that name them (index: primary key).
        self.arxiv_ids: list[str] = [""]
        self.labels: list[str] = [""]
        self.published: list[dt.date] = [self.end_day]
        self.submitters: dict[int, int] = {}
        self.comment_paper = array("l", [0])
        self.comment_author = array("l", [0])
        self._moderation_planned = False
        # Moderation has its own random stream, so that the rest of the data set is the same
        # as without it. Decided up front: the users table already says who is banned.
        self.mrng = Rand(seed + 1)
        self.n_actions = max(50, papers // 5)
        self.action_kinds = self.mrng.choices(
            [(action, target) for action, target, _ in ACTION_MIX],
            weights=[weight for *_, weight in ACTION_MIX],
            k=self.n_actions,
        )
        self.moderators = self.mrng.sample(range(1, min(self.n_users, 300) + 1), N_MODERATORS)
        self.moderator_weights = self.mrng.zipf_weights(N_MODERATORS, 1.0)
        moderators = set(self.moderators)
        others = [pk for pk in range(1, self.n_users + 1) if pk not in moderators]
        self.sanctioned = self.mrng.sample(others, max(10, self.n_actions // 60))
        self.banned = set(self.sanctioned[: len(self.sanctioned) // 5])
        self.suspended = set(self.sanctioned[len(self.banned) : len(self.banned) * 3 // 2])

    def _text(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.word_weights, k=count)

    def _phrase(self) -> str:
        return self.rng.choices(PHRASES, weights=PHRASE_WEIGHTS)[0]

    def users(self) -> Iterator[dict]:
        joined = dt.datetime.combine(self.end_day, dt.time(), tzinfo=dt.UTC)
        for pk in range(1, self.n_users + 1):
            yield {
                "id": pk,
                "password": "!",  # unusable
                "username": f"user{pk}",
                "email": f"user{pk}@bench.invalid",
                "display_name": f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                "date_joined": joined - dt.timedelta(days=self.rng.randint(0, 3 * 365)),
                "is_banned": pk in self.banned,
                "suspended_until": self.now + dt.timedelta(days=self.mrng.randint(1, 30))
                if pk in self.suspended
                else None,
            }

    def authors(self) -> Iterator[dict]:
        seen: set[str] = set()
        pk = 0
        while pk < self.n_authors:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            middle = self.rng.choice("ABCDEFGHJKLMNPRSTW")
            name = f"{first} {middle}. {last}" if len(seen) > 5000 else f"{first} {last}"
            if name in seen:
                name = f"{first} {middle}{self.rng.choice('abcdefghij')} {last}"
                if name in seen:
                    continue
            seen.add(name)
            pk += 1
            yield {"id": pk, "name": name}

    def papers(self) -> Iterator[dict]:
        start = self.end_day - dt.timedelta(days=self.days - 1)
        per_month: dict[tuple[int, int], int] = {}
        published = sorted(
            start + dt.timedelta(days=self.rng.randrange(self.days)) for _ in range(self.n_papers)
        )
        for pk, day in enumerate(published, start=1):
            key = (day.year % 100, day.month)
            per_month[key] = per_month.get(key, 0) + 1
            on_daily = self.rng.random() < self.entry_share
            votes = self.rng.heavy_tail(1.3 if on_daily else -0.5, 1.25, self.n_users)
            comments = self.rng.heavy_tail(math.log(1 + votes / 6) - 0.4, 1.0, 400)
            self.upvotes[pk] = votes
            self.comments[pk] = comments
            if on_daily:
                delay = dt.timedelta(days=self.rng.choice([0, 1, 1, 2]))
                entry_day = min(self.end_day, day + delay)
                seconds = self.rng.randrange(6 * 3600, 22 * 3600)
                midnight = dt.datetime.combine(entry_day, dt.time(), tzinfo=dt.UTC)
                self.submitted[pk] = min(self.now, midnight + dt.timedelta(seconds=seconds))
            title_words = self._text(self.rng.randint(4, 11))
            if self.rng.random() < 0.4:
                title_words.insert(self.rng.randrange(len(title_words)), self._phrase())
            title = " ".join(title_words).capitalize()
            arxiv_id = f"{key[0]:02d}{key[1]:02d}.{per_month[key]:05d}"
            self.arxiv_ids.append(arxiv_id)
            # As apps.moderation.log.paper_label names a paper.
            self.labels.append(f"{arxiv_id} · {title if len(title) <= 120 else title[:119] + '…'}")
            self.published.append(day)
            sentences = []
            for _ in range(self.rng.randint(5, 9)):
                words = self._text(self.rng.randint(12, 28))
                if self.rng.random() < 0.3:
                    words.insert(self.rng.randrange(len(words)), self._phrase())
                sentences.append(" ".join(words).capitalize() + ".")
            yield {
                "id": pk,
                "arxiv_id": arxiv_id,
                "title": title[:500],
                "abstract": " ".join(sentences),
                "published_on": day,
                "latest_version": self.rng.choice([1, 1, 1, 2, 2, 3]),
                "github_repo": f"https://github.com/lab{pk % 997}/repo{pk}"
                if self.rng.random() < 0.35
                else "",
                "project_page": f"https://lab{pk % 997}.example.org/p{pk}"
                if self.rng.random() < 0.15
                else "",
                "upvotes_count": votes,
                "comments_count": comments,
            }

    def authorships(self) -> Iterator[dict]:
        pk = 0
        for paper_id in range(1, self.n_papers + 1):
            size = max(1, self.rng.heavy_tail(1.6, 0.6, 60))
            picks = self.rng.choices(
                range(1, self.n_authors + 1), cum_weights=self.author_weights, k=size
            )
            chosen = dict.fromkeys(picks)
            for position, author_id in enumerate(chosen):
                pk += 1
                yield {"id": pk, "paper_id": paper_id, "author_id": author_id, "position": position}

    def daily_entries(self) -> Iterator[dict]:
        for pk, (paper_id, submitted_at) in enumerate(sorted(self.submitted.items()), start=1):
            submitter = None
            if self.rng.random() < 0.9:
                submitter = self.rng.choices(
                    range(1, self.n_users + 1), cum_weights=self.user_weights
                )[0]
                self.submitters[paper_id] = submitter
            yield {
                "id": pk,
                "paper_id": paper_id,
                "day": submitted_at.date(),
                "submitted_by_id": submitter,
                "submitted_at": submitted_at,
            }

    def votes(self) -> Iterator[dict]:
        """One row per upvote (distinct users), cast in the days after the paper appeared."""
        pk = 0
        users = range(1, self.n_users + 1)
        for paper_id, count in self.upvotes.items():
            if not count:
                continue
            since = self.submitted.get(paper_id) or dt.datetime.combine(
                self.end_day - dt.timedelta(days=self.days), dt.time(), tzinfo=dt.UTC
            )
            for user_id in self.rng.sample(users, count):
                pk += 1
                delay = dt.timedelta(hours=self.rng.expovariate(1 / 18))
                yield {
                    "id": pk,
                    "user_id": user_id,
                    "paper_id": paper_id,
                    "created_at": min(self.now, since + delay),
                }

    def comments_rows(self) -> Iterator[dict]:
        """Top-level comments behind ``comments_count`` (bodies are short plain text); those
        the moderation rows hide are hidden (by flags, or removed by a moderator)."""
        self._plan_moderation()
        pk = 0
        for paper_id, count in self.comments.items():
            for _ in range(count):
                pk += 1
                body = " ".join(self._text(self.rng.randint(8, 40))).capitalize() + "."
                author_id = self.rng.randint(1, self.n_users)
                self.comment_paper.append(paper_id)
                self.comment_author.append(author_id)
                yield {
                    "id": pk,
                    "paper_id": paper_id,
                    "author_id": author_id,
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "visibility": self.comment_visibility.get(pk, "visible"),
                    "created_at": self.submitted.get(paper_id) or dt.datetime.now(tz=dt.UTC),
                }

    # --- Moderation -----------------------------------------------------------------------

    def _plan_moderation(self) -> None:
        """Which items are flagged (and how often, open or resolved), which comments are hidden
        by flags or removed: decided before the comments are written, which show it."""
        if self._moderation_planned:
            return
        self._moderation_planned = True
        rng = self.mrng
        n_comments = sum(self.comments.values())
        daily = sorted(self.submitted)
        used: set[tuple[str, int]] = set()

        def pick(kind: str) -> int:
            while True:
                if kind == "comment":
                    pk = rng.randint(1, n_comments)
                elif daily and rng.random() < 0.8:
                    pk = rng.choice(daily)
                else:
                    pk = rng.randint(1, self.n_papers)
                if (kind, pk) not in used:
                    used.add((kind, pk))
                    return pk

        # (kind, item id, number of flags, resolution): about 3% of the papers' count in
        # open flags, 10% resolved; most items have one flag, a few many.
        self.flag_plan: list[tuple[str, int, int, str]] = []
        for is_open, wanted in ((True, self.n_papers * 3 // 100), (False, self.n_papers // 10)):
            total = 0
            while total < wanted:
                kind = "comment" if n_comments and rng.random() < 0.7 else "paper"
                count = min(12, 1 + int(rng.expovariate(1.1)))
                resolution = "" if is_open else rng.choice(["upheld"] * 2 + ["dismissed"] * 3)
                self.flag_plan.append((kind, pick(kind), count, resolution))
                total += count
        threshold = settings.FLAG_HIDE_THRESHOLD
        self.comment_visibility: dict[int, str] = {}
        for kind, pk, count, resolution in self.flag_plan:
            if kind == "comment" and resolution == "" and count >= threshold:
                self.comment_visibility[pk] = "flagged"
            elif kind == "comment" and resolution == "upheld":
                self.comment_visibility[pk] = "removed"
        # Comments a moderator removed: those whose flags were upheld, then others.
        hides = sum(1 for action, _ in self.action_kinds if action == "comment_hide")
        self.removed = [pk for pk, v in self.comment_visibility.items() if v == "removed"]
        while n_comments and len(self.removed) < hides:
            pk = rng.randint(1, n_comments)
            if pk not in self.comment_visibility:
                self.comment_visibility[pk] = "removed"
                self.removed.append(pk)
        self.hidden_by_flags = [pk for pk, v in self.comment_visibility.items() if v == "flagged"]

    def _item_time(self, kind: str, pk: int) -> dt.datetime:
        paper_id = self.comment_paper[pk] if kind == "comment" else pk
        return self.submitted.get(paper_id) or dt.datetime.combine(
            self.published[paper_id], dt.time(12), tzinfo=dt.UTC
        )

    def flags(self) -> Iterator[dict]:
        """Flags on papers and comments: open ones (the moderators' queue, mostly recent) and
        resolved ones, every flag of an item resolved at once by one moderator."""
        self._plan_moderation()
        rng = self.mrng
        # Members flag (moderators act instead), some far more than others, but no one member
        # a large share of all flags: a flatter Zipf over the users in a random order.
        moderators = set(self.moderators)
        users = [pk for pk in range(1, self.n_users + 1) if pk not in moderators]
        rng.shuffle(users)
        user_weights = rng.zipf_weights(len(users), 0.7)
        rows = []
        for kind, pk, count, resolution in self.flag_plan:
            reasons, weights = zip(
                *(COMMENT_FLAG_REASONS if kind == "comment" else PAPER_FLAG_REASONS), strict=True
            )
            owner = self.comment_author[pk] if kind == "comment" else self.submitters.get(pk)
            flaggers: set[int] = set()
            while len(flaggers) < count:
                user_id = rng.choices(users, cum_weights=user_weights)[0]
                if user_id != owner:
                    flaggers.add(user_id)
            since = self._item_time(kind, pk)
            if resolution == "":  # waiting: flagged in the last weeks, or since the item
                since = max(since, self.now - dt.timedelta(days=rng.expovariate(1 / 20)))
            at = since
            for user_id in sorted(flaggers):
                at = min(self.now, at + dt.timedelta(hours=rng.expovariate(1 / 12)))
                reason = rng.choices(reasons, weights=weights)[0]
                text = ""
                if reason == "other" or rng.random() < 0.15:
                    text = rng.choice(FLAG_TEXTS)
                rows.append(
                    {
                        "flagged_by_id": user_id,
                        "paper_id": pk if kind == "paper" else None,
                        "comment_id": pk if kind == "comment" else None,
                        "reason": reason,
                        "text": text,
                        "created_at": at,
                        "resolution": resolution,
                    }
                )
            if resolution:
                resolved_at = min(self.now, at + dt.timedelta(hours=rng.expovariate(1 / 20)))
                moderator = self._moderator()
                for row in rows[-count:]:
                    row["resolved_at"] = resolved_at
                    row["resolved_by_id"] = moderator
        rows.sort(key=lambda row: row["created_at"])
        for pk, row in enumerate(rows, start=1):
            yield {"id": pk, **row}

    def _moderator(self) -> int:
        return self.mrng.choices(self.moderators, cum_weights=self.moderator_weights)[0]

    def _paper_target(self, pk: int) -> tuple[str, str]:
        return self.labels[pk], reverse("papers:detail", args=[self.arxiv_ids[pk]])

    def moderation_actions(self) -> Iterator[dict]:
        """The public log: papers / 5 entries over --days, most by a dozen moderators (Zipf),
        a few by a former one whose account is gone, the community's by nobody."""
        self._plan_moderation()
        rng = self.mrng
        start = self.now - dt.timedelta(days=self.days)
        times = sorted(
            start + dt.timedelta(seconds=rng.uniform(0, self.days * 86400))
            for _ in range(self.n_actions)
        )
        daily = sorted(self.submitted)
        unlisted = [pk for pk in range(1, self.n_papers + 1) if pk not in self.submitted]
        n_comments = len(self.comment_paper) - 1
        removed, hidden = iter(self.removed), iter(self.hidden_by_flags)
        submission_id = claim_id = 0
        former = f"user{self.n_users + 1}"  # a former moderator whose account was deleted
        entries = zip(self.action_kinds, times, strict=True)
        for pk, ((action, target), at) in enumerate(entries, start=1):
            moderator_id, moderator_name = None, ""
            if action != "comment_flagged":
                if rng.random() < 0.03:
                    moderator_name = former
                else:
                    moderator_id = self._moderator()
                    moderator_name = f"user{moderator_id}"
            reason = rng.choice(ACTION_REASONS.get(action, [""]))
            subject = None
            if target == "submission":
                submission_id += 1
                target_id = submission_id
                if action == "submission_approve" or not unlisted:
                    paper = rng.choice(daily)
                    subject = self.submitters.get(paper)
                    reason = f"Listed on {long_date(at.date())}."
                else:
                    paper = rng.choice(unlisted)
                    subject = rng.choices(
                        range(1, self.n_users + 1), cum_weights=self.user_weights
                    )[0]
                label, url = self._paper_target(paper)
            elif target == "claim":
                claim_id += 1
                target_id = claim_id
                paper = rng.randint(1, self.n_papers)
                label, url = self._paper_target(paper)
                label = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} on {label}"
                subject = rng.randint(1, self.n_users)
            elif target == "comment":
                # Removals name the removed comments, the community's hiding the hidden ones.
                pool = {"comment_hide": removed, "comment_flagged": hidden}.get(action)
                target_id = (pool and next(pool, None)) or rng.randint(1, n_comments)
                paper = self.comment_paper[target_id]
                paper_label, _ = self._paper_target(paper)
                label = f"comment #{target_id} on {paper_label}"
                url = reverse("comments:detail", args=[self.arxiv_ids[paper], target_id])
                subject = self.comment_author[target_id]
                if action == "comment_flagged":
                    reason = f"Hidden pending review after {settings.FLAG_HIDE_THRESHOLD} flags."
            elif target == "paper":
                target_id = (
                    rng.choice(daily)
                    if daily and rng.random() < 0.8
                    else rng.randint(1, self.n_papers)
                )
                label, url = self._paper_target(target_id)
                if action == "paper_merge":
                    label = f"{self.arxiv_ids[rng.randint(1, self.n_papers)]} merged into {label}"
                if action in ("paper_merge", "paper_unlist"):
                    subject = self.submitters.get(target_id)
            else:  # a user
                if action == "user_ban":
                    target_id = rng.choice(sorted(self.banned))
                else:
                    target_id = rng.choice(self.sanctioned)
                label = f"@user{target_id}"
                url = reverse("profiles:detail", args=[f"user{target_id}"])
                subject = target_id
            if action == "flags_dismiss":
                dismissed = rng.choice([1, 1, 1, 2, 2, 3])
                reason = f"{dismissed} flag{'s' if dismissed != 1 else ''} dismissed."
            yield {
                "id": pk,
                "moderator_id": moderator_id,
                "moderator_name": moderator_name,
                "action": action,
                "target_type": target,
                "target_id": target_id,
                "target_label": label[:300],
                "target_url": url,
                "subject_user_id": subject,
                "reason": reason,
                "note": rng.choice(MODERATOR_NOTES) if moderator_id and rng.random() < 0.15 else "",
                "created_at": at,
            }

    def moderators_group(self) -> Iterator[dict]:
        """The moderators in the group its migration creates with their permissions."""
        # Read now, not lazily: the connection is busy with the COPY once rows are asked for.
        group_id = apps.get_model("auth", "Group").objects.get(name=MODERATORS_GROUP).pk
        return iter(
            {"id": pk, "user_id": user_id, "group_id": group_id}
            for pk, user_id in enumerate(sorted(self.moderators), start=1)
        )

    def pending_submissions(self) -> Iterator[dict]:
        """The submissions queue: papers / 1000 recent submissions waiting for a moderator, of
        papers not on a daily list."""
        rng = self.mrng
        unlisted = [pk for pk in range(self.n_papers, 0, -1) if pk not in self.submitted]
        users = range(1, self.n_users + 1)
        for pk, paper_id in enumerate(unlisted[: max(10, self.n_papers // 1000)], start=1):
            yield {
                "id": pk,
                "submitted_by_id": rng.choices(users, cum_weights=self.user_weights)[0],
                "arxiv_id": self.arxiv_ids[paper_id],
                "paper_id": paper_id,
                "status": "pending",
                "created_at": self.now - dt.timedelta(hours=rng.uniform(0, 72)),
            }


# Tables filled only when their app is installed: (app label, model name, rows method).
OPTIONAL_TABLES: list[tuple[str, str, Callable[[Generator], Iterator[dict]]]] = [
    ("votes", "Vote", Generator.votes),
    ("comments", "Comment", Generator.comments_rows),
    ("submissions", "Submission", Generator.pending_submissions),
    ("moderation", "Flag", Generator.flags),
    ("moderation", "ModerationAction", Generator.moderation_actions),
    ("users", "User_groups", Generator.moderators_group),
]


def step(label: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    print(f"  {label:<28} {result!s:>10}  {time.perf_counter() - started:6.1f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730, help="days the papers span")
    parser.add_argument(
        "--entry-share", type=float, default=0.5, help="share of papers on the daily list"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to fill database {name!r}: its name must contain 'bench'.")
    started = time.perf_counter()
    print(f"Database {name}: {args.papers} papers over {args.days} days")
    ensure_database(name)
    call_command("migrate", verbosity=0)

    gen = Generator(
        papers=args.papers, days=args.days, entry_share=args.entry_share, seed=args.seed
    )
    optional = [
        (apps.get_model(label, model), rows)
        for label, model, rows in OPTIONAL_TABLES
        if apps.is_installed(f"apps.{label}")
    ]
    tables = [User, Author, Paper, Authorship, DailyEntry] + [model for model, _ in optional]
    with connection.cursor() as cursor:
        names = ", ".join(model._meta.db_table for model in tables)
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    step("users", lambda: copy_rows(User, gen.users()))
    step("authors", lambda: copy_rows(Author, gen.authors()))
    step("papers", lambda: copy_rows(Paper, gen.papers()))
    step("authorships", lambda: copy_rows(Authorship, gen.authorships()))
    step("daily entries", lambda: copy_rows(DailyEntry, gen.daily_entries()))
    for model, rows in optional:
        step(model._meta.label_lower, lambda model=model, rows=rows: copy_rows(model, rows(gen)))
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), tables):
            cursor.execute(sql)
        # Fresh tables have no statistics yet: plan the refresh UPDATEs below with real ones.
        step("analyze", lambda: bool(cursor.execute("ANALYZE")) and "")
    step("search vectors", lambda: paper_search_vector_refresh())
    step("trending scores", lambda: trending_scores_refresh())
    with connection.cursor() as cursor:
        step("vacuum analyze", lambda: bool(cursor.execute("VACUUM ANALYZE")) and "")
    print(f"Done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
