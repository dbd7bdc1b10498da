"""Generate a large, realistic Paperboard data set in its own database, fast (COPY, not ORM saves).

    python bench/generate.py --papers 100000            # into the database paperboard_bench
    DATABASE_NAME=paperboard_bench1m python bench/generate.py \
        --papers 1000000 --votes 5000000 --comments 1000000

Drops and creates the database, migrates it and loads: users, authors (a few prolific, most on
one or two papers), papers with titles and abstracts drawn from a Zipf vocabulary, their author
lists, daily entries over about two years, heavy-tailed upvote and comment counts, and (when the
votes and comments apps are installed) the vote rows, threaded comments and comment votes behind
those counts, and the moderation rows: the log, open and resolved flags, a dozen moderators in
the moderators group and a queue of pending submissions. The tables are loaded without their
secondary indexes, which are built afterwards; then the site's own services fill the search
vectors and trending scores on batches of papers in parallel, and it VACUUMs and ANALYZEs.
Prints the time of each step.

Deterministic for a given --seed. Refuses to touch a database whose name lacks "bench".
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
import os
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
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
from django.db import DatabaseError, connection, models, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from tqdm import tqdm  # noqa: E402

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
OPEN_FLAGS = 3000
# Comments: a paper has at most this many; about half are replies, to a comment of the same
# thread at most REPLY_DEPTH levels down (the page shows THREAD_DEPTH and links the rest).
MAX_COMMENTS = 5000
REPLY_SHARE = 0.5
REPLY_DEPTH = 9


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


def recreate_database(name: str) -> None:
    """Drop the database if it exists and create it empty.

    A bench database only ever holds generated data; starting from nothing also means a run
    interrupted while the indexes were dropped (see ``secondary_indexes``) leaves no trace.
    """
    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except psycopg.errors.ObjectInUse:
            sys.exit(f"Database {name!r} is in use (a server or a benchmark?): stop it first.")
        conn.execute(f'CREATE DATABASE "{name}"')


def secondary_indexes(tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, drop, create) SQL for every index of these tables but their primary keys.

    Loading into bare tables and building each index once afterwards (sorted, in bulk) is far
    faster than maintaining them row by row; unique constraints are dropped and added back as
    constraints, with their original definitions.
    """
    sql = """
    SELECT t.relname, format('ALTER TABLE %%I DROP CONSTRAINT %%I', t.relname, c.conname),
        format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', t.relname, c.conname,
               pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE t.relname = ANY(%(tables)s) AND c.contype IN ('u', 'x')
    UNION ALL
    SELECT t.relname, format('DROP INDEX %%I', i.relname), pg_get_indexdef(i.oid)
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.relname = ANY(%(tables)s) AND NOT EXISTS (
        SELECT 1 FROM pg_constraint c
        WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid
            AND c.contype IN ('p', 'u', 'x')
    )
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tables": tables})
        return cursor.fetchall()


# Each connection of the steps after the COPY: room to sort for index builds, and no waiting
# for the disk at every batch's commit (a crash only loses a bench database).
SESSION_SETTINGS = "SET maintenance_work_mem = '512MB'; SET synchronous_commit = off"


def in_parallel(label: str, tasks: list[Callable[[], object]], *, jobs: int) -> int:
    """Run the tasks on ``jobs`` threads (each with its own database connection) under a
    progress bar; returns how many ran. The work is PostgreSQL's, so threads suffice."""

    def run(task: Callable[[], object]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(SESSION_SETTINGS)
            task()
        finally:
            connection.close()

    with (
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tqdm(total=len(tasks), desc=f"  {label}", leave=False, disable=None) as bar,
    ):
        for future in as_completed([pool.submit(run, task) for task in tasks]):
            future.result()
            bar.update()
    return len(tasks)


class Generator:
    def __init__(
        self,
        *,
        papers: int,
        days: int,
        entry_share: float,
        seed: int,
        votes: int | None = None,
        comments: int | None = None,
    ) -> None:
        self.rng = Rand(seed)
        self.n_papers = papers
        self.n_users = max(50, papers // 20)
        self.n_authors = max(100, int(papers * 1.3))
        self.days = days
        self.entry_share = entry_share
        self.now = dt.datetime.now(tz=dt.UTC)
        self.end_day = self.now.date()
        # Heaps' law: a corpus's vocabulary grows with the square root of its length, so a
        # million papers use about 19,000 words where 100,000 use 6,000 (the rarest then appear
        # in a few hundred papers, not in thousands).
        self.words = vocabulary(self.rng, max(6000, round(6000 * math.sqrt(papers / 100_000))))
        self.word_weights = self.rng.zipf_weights(len(self.words))
        self.user_weights = self.rng.zipf_weights(self.n_users, 1.2)
        self.author_weights = self.rng.zipf_weights(self.n_authors, 0.9)
        # How much each member votes and comments: log-normal, so that most do a little and a
        # few a lot (the busiest about 70 times the mean), in a random order of the users.
        activity, total = [], 0.0
        for _ in range(self.n_users):
            total += self.rng.lognormvariate(0, 1.0)
            activity.append(total)
        self.activity = activity
        self.submitted: dict[int, dt.datetime] = {}
        # Filled while papers, daily entries and comments are generated, for the moderation
        # rows that name them (index: primary key).
        self.arxiv_ids: list[str] = [""]
        self.labels: list[str] = [""]
        self.submitters: dict[int, int] = {}
        self.comment_paper = array("l", [0])
        self.comment_author = array("l", [0])
        self.comment_time = array("d", [0.0])
        self.comment_upvotes = array("l", [0])
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
        self._plan_papers(votes=votes, comments=comments)

    def _plan_papers(self, *, votes: int | None, comments: int | None) -> None:
        """Each paper's day, daily entry, upvote and comment counts, before any row is written
        (the totals are known, and the moderation plan can say which comments are hidden).

        Counts are log-normal: daily-list papers median ~3 upvotes with a tail into the
        hundreds, comments ~ upvotes / 6. ``votes`` / ``comments``, when given, scale them to
        exactly that many rows.
        """
        rng = self.rng
        start = self.end_day - dt.timedelta(days=self.days - 1)
        days = sorted(
            start + dt.timedelta(days=rng.randrange(self.days)) for _ in range(self.n_papers)
        )
        self.published = [self.end_day, *days]
        raw_votes = [0.0]
        for pk in range(1, self.n_papers + 1):
            on_daily = rng.random() < self.entry_share
            raw_votes.append(rng.lognormvariate(1.3 if on_daily else -0.5, 1.25))
            if on_daily:
                delay = dt.timedelta(days=rng.choice([0, 1, 1, 2]))
                entry_day = min(self.end_day, self.published[pk] + delay)
                seconds = rng.randrange(6 * 3600, 22 * 3600)
                midnight = dt.datetime.combine(entry_day, dt.time(), tzinfo=dt.UTC)
                self.submitted[pk] = min(self.now, midnight + dt.timedelta(seconds=seconds))
        # Distinct voters per paper: at most half the members (see _members).
        self.upvotes = self._counts(raw_votes, cap=self.n_users // 2, total=votes)
        raw_comments = [0.0] + [
            rng.lognormvariate(math.log(1 + self.upvotes[pk] / 6) - 0.4, 1.0)
            for pk in range(1, self.n_papers + 1)
        ]
        self.comments = self._counts(raw_comments, cap=MAX_COMMENTS, total=comments)

    def _counts(self, raw: list[float], *, cap: int, total: int | None) -> array:
        """``int(x)`` of each draw (index 0 unused), capped; scaled to sum to ``total`` if given:
        a common factor first, then the last few units one by one on random papers."""
        factor = 1.0
        for _ in range(8 if total is not None else 0):
            got = sum(min(cap, int(x * factor)) for x in raw)
            if not got or got == total:
                break
            factor *= total / got
        counts = array("l", (min(cap, int(x * factor)) for x in raw))
        counts[0] = 0
        missing = 0 if total is None else total - sum(counts)
        while missing:
            pk = self.rng.randint(1, self.n_papers)
            step = 1 if missing > 0 else -1
            if 0 <= counts[pk] + step <= cap:
                counts[pk] += step
                missing -= step
        return counts

    def _appeared(self, paper_id: int) -> dt.datetime:
        """When the paper reached readers: its daily entry, else noon on its publication day."""
        return self.submitted.get(paper_id) or dt.datetime.combine(
            self.published[paper_id], dt.time(12), tzinfo=dt.UTC
        )

    def _members(self, count: int, exclude: int = 0) -> list[int]:
        """``count`` distinct users, the active ones more often (see ``activity``)."""
        users = range(1, self.n_users + 1)
        if count > self.n_users // 4:
            return self.rng.sample(users, count)
        chosen: set[int] = set()
        while len(chosen) < count:
            picks = self.rng.choices(users, cum_weights=self.activity, k=count - len(chosen))
            chosen.update(pick for pick in picks if pick != exclude)
        return list(chosen)

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
        self._plan_moderation()
        per_month: dict[tuple[int, int], int] = {}
        # Comments are numbered paper by paper: the first primary key of each paper's.
        first_comment = array("l", [1])
        for count in self.comments[1:]:
            first_comment.append(first_comment[-1] + count)
        hidden = array("l", [0]) * (self.n_papers + 1)
        for pk in self.comment_visibility:
            hidden[bisect.bisect_right(first_comment, pk)] += 1
        for pk in range(1, self.n_papers + 1):
            day = self.published[pk]
            key = (day.year % 100, day.month)
            per_month[key] = per_month.get(key, 0) + 1
            title_words = self._text(self.rng.randint(4, 11))
            if self.rng.random() < 0.4:
                title_words.insert(self.rng.randrange(len(title_words)), self._phrase())
            title = " ".join(title_words).capitalize()
            arxiv_id = f"{key[0]:02d}{key[1]:02d}.{per_month[key]:05d}"
            self.arxiv_ids.append(arxiv_id)
            # As apps.moderation.log.paper_label names a paper.
            self.labels.append(f"{arxiv_id} · {title if len(title) <= 120 else title[:119] + '…'}")
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
                "upvotes_count": self.upvotes[pk],
                # As the comments service counts: shown comments only.
                "comments_count": self.comments[pk] - hidden[pk],
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
        for paper_id in range(1, self.n_papers + 1):
            count = self.upvotes[paper_id]
            if not count:
                continue
            since = self.submitted.get(paper_id) or dt.datetime.combine(
                self.end_day - dt.timedelta(days=self.days), dt.time(), tzinfo=dt.UTC
            )
            for user_id in self._members(count):
                pk += 1
                delay = dt.timedelta(hours=self.rng.expovariate(1 / 18))
                yield {
                    "id": pk,
                    "user_id": user_id,
                    "paper_id": paper_id,
                    "created_at": min(self.now, since + delay),
                }

    def comments_rows(self) -> Iterator[dict]:
        """The comments behind ``comments_count``, in threads: top-level comments in the days
        after the paper appeared, replies hours after their parent, most often to one of the
        latest comments (so some threads run deep). Bodies are short plain text; those the
        moderation rows hide are hidden (by flags, or removed by a moderator)."""
        self._plan_moderation()
        rng = self.rng
        pk = 0
        for paper_id in range(1, self.n_papers + 1):
            count = self.comments[paper_id]
            since = self._appeared(paper_id).timestamp()
            thread: list[tuple[int, int, int, float]] = []  # (pk, root, depth, time)
            for _ in range(count):
                pk += 1
                parent = root = None
                depth = 0
                if thread and rng.random() < REPLY_SHARE:
                    parent, root, depth, at = thread[-1 - int(rng.expovariate(0.3)) % len(thread)]
                    if depth >= REPLY_DEPTH:
                        parent = root = None
                        depth = 0
                if parent is None:
                    at = since + rng.expovariate(1 / 36) * 3600
                else:
                    root, depth = root or parent, depth + 1
                    at += rng.expovariate(1 / 8) * 3600
                at = min(self.now.timestamp(), at)
                thread.append((pk, root or 0, depth, at))
                body = " ".join(self._text(rng.randint(8, 40))).capitalize() + "."
                author_id = self._members(1)[0]
                upvotes = rng.heavy_tail(-1.0 if depth else -0.5, 1.3, self.n_users // 2)
                self.comment_paper.append(paper_id)
                self.comment_author.append(author_id)
                self.comment_time.append(at)
                self.comment_upvotes.append(upvotes)
                yield {
                    "id": pk,
                    "paper_id": paper_id,
                    "author_id": author_id,
                    "parent_id": parent,
                    # The thread's top-level comment (a column of apps.comments since issue 12).
                    "root_id": root,
                    "depth": depth,
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "upvotes_count": upvotes,
                    "visibility": self.comment_visibility.get(pk, "visible"),
                    "created_at": dt.datetime.fromtimestamp(at, tz=dt.UTC),
                }

    def comment_votes(self) -> Iterator[dict]:
        """The upvotes behind each comment's ``upvotes_count``, never by its author."""
        pk = 0
        for comment_id in range(1, len(self.comment_upvotes)):
            count = self.comment_upvotes[comment_id]
            at = self.comment_time[comment_id]
            for user_id in self._members(count, exclude=self.comment_author[comment_id]):
                pk += 1
                delay = self.rng.expovariate(1 / 12) * 3600
                yield {
                    "id": pk,
                    "user_id": user_id,
                    "comment_id": comment_id,
                    "created_at": dt.datetime.fromtimestamp(
                        min(self.now.timestamp(), at + delay), tz=dt.UTC
                    ),
                }

    # --- Moderation -----------------------------------------------------------------------

    def _plan_moderation(self) -> None:
        """Which items are flagged (and how often, open or resolved), which comments are hidden
        by flags or removed: decided before the comments are written, which show it."""
        if self._moderation_planned:
            return
        self._moderation_planned = True
        rng = self.mrng
        n_comments = sum(self.comments)
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

        # (kind, item id, number of flags, resolution): 10% of the papers' count in resolved
        # flags, about 3% in open ones but at most OPEN_FLAGS (the backlog is what a dozen
        # moderators have not handled yet, not a share of the archive); most items have one
        # flag, a few many.
        self.flag_plan: list[tuple[str, int, int, str]] = []
        open_flags = min(OPEN_FLAGS, self.n_papers * 3 // 100)
        for is_open, wanted in ((True, open_flags), (False, self.n_papers // 10)):
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
        if kind == "comment":
            return dt.datetime.fromtimestamp(self.comment_time[pk], tz=dt.UTC)
        return self._appeared(pk)

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
    ("votes", "CommentVote", Generator.comment_votes),
    ("submissions", "Submission", Generator.pending_submissions),
    ("moderation", "Flag", Generator.flags),
    ("moderation", "ModerationAction", Generator.moderation_actions),
    ("users", "User_groups", Generator.moderators_group),
]


def step(label: str, action: Callable[[], object]) -> object:
    """Run one step and print its time (and its count of rows or tasks, if it returns one)."""
    started = time.perf_counter()
    result = action()
    count = f"{result:,}" if isinstance(result, int) else ""
    print(f"  {label:<28} {count:>10}  {time.perf_counter() - started:6.1f} s", flush=True)
    return result


def batches(first: int, last: int, size: int) -> list[list[int]]:
    return [list(range(lo, min(lo + size, last + 1))) for lo in range(first, last + 1, size)]


def sql_step(sql: str) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730, help="days the papers span")
    parser.add_argument(
        "--entry-share", type=float, default=0.5, help="share of papers on the daily list"
    )
    parser.add_argument(
        "--votes", type=int, help="exactly this many paper upvotes (default: ~4 a paper)"
    )
    parser.add_argument(
        "--comments", type=int, help="exactly this many comments (default: ~1.4 a paper)"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="database connections for the steps after loading"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to fill database {name!r}: its name must contain 'bench'.")
    started = time.perf_counter()
    print(f"Database {name}: {args.papers:,} papers over {args.days} days")
    recreate_database(name)
    step("migrate", lambda: call_command("migrate", verbosity=0))
    gen: Generator = step(
        "plan",
        lambda: Generator(
            papers=args.papers,
            days=args.days,
            entry_share=args.entry_share,
            seed=args.seed,
            votes=args.votes,
            comments=args.comments,
        ),
    )
    optional = [
        (apps.get_model(label, model), rows)
        for label, model, rows in OPTIONAL_TABLES
        if apps.is_installed(f"apps.{label}")
    ]
    tables = [User, Author, Paper, Authorship, DailyEntry] + [model for model, _ in optional]
    papers = Paper._meta.db_table
    indexes = secondary_indexes([model._meta.db_table for model in tables])
    with connection.cursor() as cursor:
        for _, drop, _ in indexes:
            cursor.execute(drop)
        # The rows are consistent by construction: no foreign-key check row by row (this
        # needs a superuser, as the development and bench servers have; else they are checked).
        try:
            with transaction.atomic():
                cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            print("  (foreign keys checked while loading: not a superuser)")

    step("users", lambda: copy_rows(User, gen.users()))
    step("authors", lambda: copy_rows(Author, gen.authors()))
    step("papers", lambda: copy_rows(Paper, gen.papers()))
    step("authorships", lambda: copy_rows(Authorship, gen.authorships()))
    step("daily entries", lambda: copy_rows(DailyEntry, gen.daily_entries()))
    for model, rows in optional:
        step(model._meta.label_lower, lambda model=model, rows=rows: copy_rows(model, rows(gen)))
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        for sql in connection.ops.sequence_reset_sql(no_style(), tables):
            cursor.execute(sql)
    # Every index but the papers' (rewritten twice below): the refreshes read through them.
    others = [sql_step(create) for table, _, create in indexes if table != papers]
    step("indexes", lambda: in_parallel("indexes", others, jobs=args.jobs))
    step("analyze", sql_step("ANALYZE"))
    # The site's own services, on batches of papers in parallel.
    for label, refresh in (
        ("search vectors", paper_search_vector_refresh),
        ("trending scores", trending_scores_refresh),
    ):
        tasks = [
            lambda ids=ids, refresh=refresh: refresh(paper_ids=ids)
            for ids in batches(1, args.papers, 5000)
        ]
        step(label, lambda label=label, tasks=tasks: in_parallel(label, tasks, jobs=args.jobs))
    # Both refreshes left a dead version of each paper row behind: write the table compactly.
    step("compact papers", sql_step(f"VACUUM FULL {papers}"))
    paper_indexes = [sql_step(create) for table, _, create in indexes if table == papers]
    step("paper indexes", lambda: in_parallel("paper indexes", paper_indexes, jobs=args.jobs))
    step("vacuum analyze", sql_step("VACUUM ANALYZE"))
    print(f"Done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
