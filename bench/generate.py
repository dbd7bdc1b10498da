"""Generate a large, realistic Paperboard data set in its own database, fast (COPY, not ORM saves).

    python bench/generate.py --papers 100000            # into the database paperboard_bench

Creates the database if needed, migrates it, empties it and loads: users, authors (a few prolific,
most on one or two papers), papers with titles and abstracts drawn from a Zipf vocabulary, their
author lists, daily entries over about two years, heavy-tailed upvote and comment counts, and (when
the votes and comments apps are installed) the vote and comment rows behind those counts. Then it
fills the search vectors and trending scores with the site's own services and ANALYZEs.

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

from apps.papers.models import Author, Authorship, DailyEntry, Paper  # noqa: E402
from apps.papers.services import paper_search_vector_refresh  # noqa: E402
from apps.users.models import User  # noqa: E402
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
            sentences = []
            for _ in range(self.rng.randint(5, 9)):
                words = self._text(self.rng.randint(12, 28))
                if self.rng.random() < 0.3:
                    words.insert(self.rng.randrange(len(words)), self._phrase())
                sentences.append(" ".join(words).capitalize() + ".")
            yield {
                "id": pk,
                "arxiv_id": f"{key[0]:02d}{key[1]:02d}.{per_month[key]:05d}",
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
        """Top-level comments behind ``comments_count`` (bodies are short plain text)."""
        pk = 0
        for paper_id, count in self.comments.items():
            for _ in range(count):
                pk += 1
                body = " ".join(self._text(self.rng.randint(8, 40))).capitalize() + "."
                yield {
                    "id": pk,
                    "paper_id": paper_id,
                    "author_id": self.rng.randint(1, self.n_users),
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "created_at": self.submitted.get(paper_id) or dt.datetime.now(tz=dt.UTC),
                }


# Tables filled only when their app is installed: (app label, model name, rows method).
OPTIONAL_TABLES: list[tuple[str, str, Callable[[Generator], Iterator[dict]]]] = [
    ("votes", "Vote", Generator.votes),
    ("comments", "Comment", Generator.comments_rows),
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
