"""Digest reads."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import IntegerField, Max, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.comments.models import Comment
from apps.digests.models import Delivery, Digest, Frequency, Subscription
from apps.digests.schedule import period_containing
from apps.digests.tokens import confirmation_token_read
from apps.papers.models import Authorship, DailyEntry, Paper
from apps.papers.periods import Period
from apps.papers.selectors import papers_with_author_names
from apps.users.models import User
from apps.votes.models import Vote

# --- Subscriptions ------------------------------------------------------------------------


def subscription_for_user(*, user: User) -> Subscription | None:
    """The account's own subscription (one query), None for visitors and non-subscribers."""
    if not user.is_authenticated:
        return None
    return Subscription.objects.filter(user=user).first()


def subscription_by_token(*, token: str) -> Subscription | None:
    """The subscription an unsubscribe or manage link names, None for an unknown token.

    A token with a NUL byte (which PostgreSQL text cannot hold: the query would fail) or
    longer than the column is unknown without asking the database.
    """
    if "\x00" in token or len(token) > Subscription._meta.get_field("token").max_length:
        return None
    return Subscription.objects.filter(token=token).first()


def subscription_for_confirmation(*, token: str) -> Subscription:
    """The pending or active subscription a confirmation link was mailed for; ValidationError
    ``tampered``, ``expired``, or ``stale`` when the subscription is gone, its address changed,
    or it was unsubscribed or disabled since (an old link must not undo that)."""
    claim = confirmation_token_read(token)
    subscription = Subscription.objects.filter(pk=claim.subscription_id).first()
    if (
        subscription is None
        or not claim.matches(subscription)
        or subscription.status not in (Subscription.Status.PENDING, Subscription.Status.ACTIVE)
    ):
        raise ValidationError(
            "This confirmation link is no longer valid. Subscribe again to get a new one.",
            code="stale",
        )
    return subscription


# --- Content ------------------------------------------------------------------------------
# What a digest shows: its frozen top papers, and for account holders a "for you" part of
# papers like those they upvoted or commented on recently. The web archive reads the same.

# "For you" candidates: the papers on the daily lists of a window ending with the digest's
# period, most upvoted first; loaded once per digest (DigestRenderer keeps them).
FOR_YOU_WINDOW = {Frequency.DAILY: dt.timedelta(days=7), Frequency.WEEKLY: dt.timedelta(weeks=4)}
FOR_YOU_CANDIDATES = 300
# Seeds: the papers the user upvoted or commented on in the last SEED_DAYS, SEEDS at most.
SEED_DAYS = 30
SEEDS = 12
# A paper an earlier digest showed is not shown again for this long.
ALREADY_SENT_DAYS = 60
# A match scores the tf-idf cosine of the two papers' title and abstract terms (0 to 1), plus
# AUTHOR_SCORE per shared author. On a real daily list unrelated papers score about 0.03 and
# papers on one topic 0.15 to 0.4; below MIN_SCORE a match is not worth a reader's time.
AUTHOR_SCORE = 0.5
MIN_SCORE = 0.15
# A term in the title weighs this many times one in the abstract.
TITLE_WEIGHT = 3
# Scoring looks up a seed's MATCH_TERMS heaviest terms, and only terms at most a
# MATCH_MAX_SHARE of the candidates have: terms most papers share add little to any score and
# cost the most to look up (a seed then takes ~0.05 ms instead of ~0.6 ms at 300 candidates).
MATCH_TERMS = 25
MATCH_MAX_SHARE = 0.2
# Research prose's filler and TeX commands, as the English stemmer writes them: no reason
# to call two papers alike.
_GENERIC_WORDS = (
    "abl achiev across address allow also approach base can challeng competit comprehens "
    "consid data demonstr differ effect enabl exist experi extens first framework general "
    "howev import improv includ introduc key larg lead leverag make mani method model new "
    "novel one outperform paper perform present problem propos provid recent result show "
    "signific studi task two use various via well wide within without work "
    "mathbb mathbf mathcal mathrm frac textbf textit emph cdot ldot"
)
GENERIC_TERMS = frozenset(_GENERIC_WORDS.split())
# A lexeme of Paper.search_vector as PostgreSQL writes it: 'lexeme':3A,17C (weights A title,
# B authors, C abstract). Only lexemes of letters matter here (no numbers, no TeX fragments).
_LEXEME = re.compile(r"'([a-z]{3,})':([0-9A-D,]+)")


def paper_terms(search_vector: str | None) -> dict[str, float]:
    """A paper's terms from its stored search vector, with their weights: title and abstract
    lexemes (not author names), each weighing 1 + ln(occurrences), TITLE_WEIGHT times more
    in the title. Parsed in Python: cheaper than unnesting the vector in SQL."""
    terms: dict[str, float] = {}
    for lexeme, positions in _LEXEME.findall(search_vector or ""):
        if "A" in positions:
            terms[lexeme] = TITLE_WEIGHT * (1 + math.log(positions.count(",") + 1))
        elif "C" in positions:
            terms[lexeme] = 1 + math.log(positions.count(",") + 1)
    return terms


def digest_papers(digest: Digest) -> list[Paper]:
    """The digest's frozen top papers in order, with ``author_names``, counters, thumbnail and
    daily entry, in one query. Papers deleted, merged into another or taken off their day's
    list since the digest was frozen are left out."""
    if not digest.paper_ids:
        return []
    papers = papers_with_author_names(
        Paper.objects.filter(pk__in=digest.paper_ids, removed_from_day=False)
    ).defer("search_vector")
    by_id = {paper.pk: paper for paper in papers}
    return [by_id[pk] for pk in digest.paper_ids if pk in by_id]


def digest_top_paper_ids(*, period: Period, limit: int) -> list[int]:
    """A period's top papers by upvotes (then comments, then newest): what ``digest_freeze``
    stores, and what the preview of a period without a digest yet shows."""
    return list(
        DailyEntry.objects.filter(day__range=(period.start, period.end))
        .order_by("-paper__upvotes_count", "-paper__comments_count", "-submitted_at", "paper_id")
        .values_list("paper_id", flat=True)[:limit]
    )


def digest_for_period(frequency: str, period: Period) -> Digest | None:
    """The digest frozen for ``period``; None until one was sent."""
    return Digest.objects.filter(frequency=frequency, period_start=period.start).first()


def digests_archive(frequency: str | None = None) -> QuerySet[Digest]:
    """Past digests, newest first; both frequencies unless one is given."""
    digests = Digest.objects.order_by("-period_start", "frequency")
    return digests.filter(frequency=frequency) if frequency else digests


def digest_neighbours(digest: Digest) -> tuple[Digest | None, Digest | None]:
    """The digests of the same frequency just before and just after ``digest``."""
    same = Digest.objects.filter(frequency=digest.frequency).defer("paper_ids")
    return (
        same.filter(period_start__lt=digest.period_start).order_by("-period_start").first(),
        same.filter(period_start__gt=digest.period_start).order_by("period_start").first(),
    )


def preview_period(*, frequency: str, today: dt.date) -> Period | None:
    """The period a preview shows: the latest finished period with papers (what the next
    digest brings), else the running one; None when there are no papers at all."""
    running = period_containing(frequency, today)
    days = DailyEntry.objects.aggregate(
        finished=Max("day", filter=Q(day__lt=running.start)), latest=Max("day")
    )
    day = days["finished"] or days["latest"]
    return period_containing(frequency, day) if day else None


def papers_already_sent(
    subscription: Subscription, *, except_digest: Digest | None = None
) -> set[int]:
    """Every paper the subscriber's digests showed in the last ALREADY_SENT_DAYS, in one
    query; ``except_digest``'s own delivery left out (a web preview of a digest once sent)."""
    return papers_already_sent_to([subscription.pk], except_digest=except_digest)[subscription.pk]


def papers_already_sent_to(
    subscription_ids: list[int], *, except_digest: Digest | None = None
) -> dict[int, set[int]]:
    """``papers_already_sent`` of many subscriptions (a sender's batch), in one query."""
    shown: dict[int, set[int]] = {pk: set() for pk in subscription_ids}
    since = timezone.now() - dt.timedelta(days=ALREADY_SENT_DAYS)
    deliveries = Delivery.objects.filter(
        subscription__in=subscription_ids, status=Delivery.Status.SENT, sent_at__gte=since
    )
    if except_digest is not None and except_digest.pk is not None:
        deliveries = deliveries.exclude(digest=except_digest)
    for subscription_id, paper_ids in deliveries.values_list("subscription_id", "paper_ids"):
        shown[subscription_id].update(paper_ids)
    return shown


@dataclass(frozen=True)
class ForYouPaper:
    paper: Paper
    reason: str  # because you upvoted “…” · shares: diffusion, video


@dataclass(frozen=True)
class Seed:
    """Something the user showed interest in; "for you" looks for papers like it.

    Today a paper they upvoted or commented on (``for_you_activity``). Followed authors and
    categories (issue 14) fit as seeds of their own: an author id, or a category's terms,
    with their own ``action`` ("follow") and title (the author's or category's name).
    """

    paper_id: int
    action: str  # the reason's verb: "upvoted", "commented on"
    title: str
    author_ids: frozenset[int]
    terms: dict[str, float]  # lexeme -> weight (paper_terms)


@dataclass
class ForYouCandidates:
    """A digest's candidate papers with their terms, idf weights and inverted indexes, built
    once per digest (``for_you_candidates``) and scored against each subscriber's seeds."""

    papers: list[Paper]
    index: dict[int, int]  # paper id -> position in ``papers``
    author_ids: list[tuple[int, ...]]
    terms: list[dict[str, float]]  # paper_terms of each paper
    vectors: list[dict[str, float]]  # those weights times idf (terms weighing something)
    norms: list[float]
    idf: dict[str, float]  # of every term of the candidates (generic terms aside)
    unseen_idf: float  # the idf of a term no candidate has
    # term -> (position, weight x idf) of the papers that have it
    term_postings: dict[str, list[tuple[int, float]]]
    author_postings: dict[int, list[int]]  # author id -> positions
    # Per seed paper, remembered for the next subscriber with the same seed (bounded): the
    # terms of seeds outside the candidates, and the candidates each seed matches.
    seed_terms: dict[int, dict[str, float]] = field(default_factory=dict)
    matches: dict[int, dict[int, float]] = field(default_factory=dict)
    words: dict[tuple[int, str], str] = field(default_factory=dict)

    SEEDS_KEPT = 20_000

    @cached_property
    def ids_literal(self) -> str:
        """The candidates' ids as an SQL array literal (integers only)."""
        return "ARRAY[{}]::bigint[]".format(",".join(str(int(pk)) for pk in self.index))

    def terms_of_seed(self, paper_id: int, search_vector: str | None) -> dict[str, float]:
        terms = self.seed_terms.get(paper_id)
        if terms is None:
            terms = paper_terms(search_vector)
            if len(self.seed_terms) < self.SEEDS_KEPT:
                self.seed_terms[paper_id] = terms
        return terms

    def similarities(self, seed: Seed) -> dict[int, float]:
        """Position -> score of the candidates ``seed`` matches (MIN_SCORE or more)."""
        matches = self.matches.get(seed.paper_id)
        if matches is None:
            matches = _similarities(seed, self)
            if len(self.matches) < self.SEEDS_KEPT:
                self.matches[seed.paper_id] = matches
        return matches

    def word(self, position: int, lexeme: str) -> str:
        """A word of paper ``position`` that the stemmer made ``lexeme`` of, for reasons
        people can read ("diffus" -> "diffusion")."""
        key = (position, lexeme)
        if key not in self.words:
            paper = self.papers[position]
            self.words[key] = _surface_word(lexeme, f"{paper.title} {paper.abstract}")
        return self.words[key]


_WORD = re.compile(r"[A-Za-z]+")


def _common_prefix_length(a: str, b: str) -> int:
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def _surface_word(lexeme: str, text: str) -> str:
    """The shortest word of ``text`` that starts with ``lexeme``; else the word sharing the
    longest beginning with it (studi -> study); else the lexeme itself."""
    words = {word.lower() for word in _WORD.findall(text)}
    derived = [word for word in words if word.startswith(lexeme)]
    if derived:
        return min(derived, key=lambda word: (len(word), word))
    near = [(_common_prefix_length(word, lexeme), word) for word in words]
    near = [(prefix, word) for prefix, word in near if prefix >= max(3, len(lexeme) - 2)]
    if near:
        return min(near, key=lambda item: (-item[0], len(item[1]), item[1]))[1]
    return lexeme


def _author_ids_sql(table: str) -> str:
    """An array of the paper row ``table``'s author ids in order (table names from models)."""
    return (
        f"ARRAY(SELECT a.author_id FROM {Authorship._meta.db_table} a"  # noqa: S608
        f" WHERE a.paper_id = {table}.id ORDER BY a.position)"
    )


def for_you_candidates(digest: Digest) -> ForYouCandidates:
    """The papers "for you" may suggest with ``digest``, in one query: those on the daily
    lists of the window ending with its period, most upvoted first, its own top papers
    aside; with idf weights computed within this set."""
    start = digest.period_end - FOR_YOU_WINDOW[digest.frequency] + dt.timedelta(days=1)
    papers = list(
        papers_with_author_names(
            Paper.objects.filter(
                daily_entry__day__range=(start, digest.period_end), removed_from_day=False
            ).exclude(pk__in=digest.paper_ids)
        )
        .annotate(
            author_ids=RawSQL(  # noqa: S611 (no input)
                _author_ids_sql(Paper._meta.db_table), (), output_field=ArrayField(IntegerField())
            )
        )
        .order_by("-upvotes_count", "-daily_entry__submitted_at", "-pk")[:FOR_YOU_CANDIDATES]
    )
    terms = [paper_terms(paper.search_vector) for paper in papers]
    count = len(papers)
    document_frequency = Counter(term for own in terms for term in own)
    idf = {
        term: math.log((count + 1) / (df + 1))
        for term, df in document_frequency.items()
        if term not in GENERIC_TERMS
    }
    # A term every candidate has weighs nothing (idf 0): no need to index it.
    vectors = [{t: w * idf[t] for t, w in own.items() if idf.get(t)} for own in terms]
    term_postings: dict[str, list[tuple[int, float]]] = {}
    author_postings: dict[int, list[int]] = {}
    indexed_df = max(2, int(MATCH_MAX_SHARE * count))
    for position, (paper, vector) in enumerate(zip(papers, vectors, strict=True)):
        paper.search_vector = None  # parsed: no need to keep it
        for term, weight in vector.items():
            if document_frequency[term] <= indexed_df:
                term_postings.setdefault(term, []).append((position, weight))
        for author_id in paper.author_ids:
            author_postings.setdefault(author_id, []).append(position)
    return ForYouCandidates(
        papers=papers,
        index={paper.pk: position for position, paper in enumerate(papers)},
        author_ids=[tuple(paper.author_ids) for paper in papers],
        terms=terms,
        vectors=vectors,
        norms=[math.sqrt(sum(w * w for w in vector.values())) for vector in vectors],
        idf=idf,
        unseen_idf=math.log(count + 1),
        term_postings=term_postings,
        author_postings=author_postings,
    )


# For each user: the SEEDS papers they upvoted or commented on (visibly) most recently in
# SEED_DAYS, with titles, and author ids and search vectors unless they are candidates (whose
# are loaded already); then every candidate they ever upvoted or commented on (action NULL).
# The candidates' ids are written into the query as a literal built once per digest (integers
# from the database): quoted as a parameter, they would cost more than the rest of the email.
_ACTIVITY_SQL = """
WITH candidates AS (
    SELECT unnest({candidate_ids}) AS id
), seeds AS (
    SELECT u.id AS user_id, s.paper_id, s.action, s.at
    FROM unnest(%(users)s::bigint[]) AS u(id)
    CROSS JOIN LATERAL (
        SELECT * FROM (
            SELECT DISTINCT ON (paper_id) paper_id, action, at FROM (
                SELECT paper_id, 'upvoted' AS action, created_at AS at
                FROM {vote} WHERE user_id = u.id AND created_at >= %(since)s
                UNION ALL
                SELECT paper_id, 'commented on', created_at
                FROM {comment}
                WHERE author_id = u.id AND created_at >= %(since)s
                    AND visibility = %(visible)s AND NOT is_deleted
            ) AS activity
            ORDER BY paper_id, at DESC
        ) AS latest
        ORDER BY at DESC, paper_id DESC LIMIT %(seeds)s
    ) AS s
)
SELECT s.user_id, s.paper_id, s.action, s.at, p.title,
    CASE WHEN s.paper_id IN (SELECT id FROM candidates) THEN NULL ELSE {author_ids} END,
    CASE WHEN s.paper_id IN (SELECT id FROM candidates) THEN NULL ELSE p.search_vector::text END
FROM seeds s JOIN {paper} p ON p.id = s.paper_id
UNION ALL
SELECT user_id, paper_id, NULL, NULL, NULL, NULL, NULL
FROM {vote}
WHERE user_id = ANY(%(users)s::bigint[]) AND paper_id IN (SELECT id FROM candidates)
UNION ALL
SELECT author_id, paper_id, NULL, NULL, NULL, NULL, NULL
FROM {comment}
WHERE author_id = ANY(%(users)s::bigint[]) AND paper_id IN (SELECT id FROM candidates)
"""


@dataclass
class ForYouActivity:
    """What "for you" needs of one user: their seeds, most recent first, and the ids of the
    candidates they upvoted or commented on (ever)."""

    seeds: list[Seed] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)


def for_you_activity(
    *, user_ids: list[int], candidates: ForYouCandidates
) -> dict[int, ForYouActivity]:
    """Each user's ``ForYouActivity``, in one query for all of them (a sender's batch),
    however many votes and comments they have.

    The seam for follows (issue 14): seeds of other kinds join the lists here.
    """
    activity = {user_id: ForYouActivity() for user_id in user_ids}
    if not user_ids:
        return activity
    sql = _ACTIVITY_SQL.format(
        vote=Vote._meta.db_table,
        comment=Comment._meta.db_table,
        paper=Paper._meta.db_table,
        author_ids=_author_ids_sql("p"),
        candidate_ids=candidates.ids_literal,
    )
    params = {
        "users": user_ids,
        "since": timezone.now() - dt.timedelta(days=SEED_DAYS),
        "visible": Comment.Visibility.VISIBLE,
        "seeds": SEEDS,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    dated: dict[int, list[tuple[dt.datetime, Seed]]] = defaultdict(list)
    for user_id, paper_id, action, at, title, author_ids, search_vector in rows:
        activity[user_id].touched.add(paper_id)
        if action is None:
            continue
        if (position := candidates.index.get(paper_id)) is not None:
            author_ids, terms = candidates.author_ids[position], candidates.terms[position]
        else:
            terms = candidates.terms_of_seed(paper_id, search_vector)
        dated[user_id].append((at, Seed(paper_id, action, title, frozenset(author_ids), terms)))
    for user_id, seeds in dated.items():
        seeds.sort(key=lambda item: (item[0], item[1].paper_id), reverse=True)
        activity[user_id].seeds = [seed for _, seed in seeds]
    return activity


def _similarities(seed: Seed, candidates: ForYouCandidates) -> dict[int, float]:
    """Candidate position -> similarity to ``seed``, for the candidates scoring MIN_SCORE."""
    idf, unseen, postings = candidates.idf, candidates.unseen_idf, candidates.term_postings
    norm_squared = 0.0
    shared: list[tuple[float, list[tuple[int, float]]]] = []
    for term, weight in seed.terms.items():
        if term in GENERIC_TERMS:
            continue
        weight *= idf.get(term, unseen)
        norm_squared += weight * weight
        if term in postings:
            shared.append((weight, postings[term]))
    shared.sort(key=lambda item: item[0], reverse=True)
    dots: dict[int, float] = defaultdict(float)
    for weight, posting in shared[:MATCH_TERMS]:
        for position, candidate_weight in posting:
            dots[position] += weight * candidate_weight
    norm, norms = math.sqrt(norm_squared), candidates.norms
    scores = {position: dot / (norm * norms[position]) for position, dot in dots.items()}
    for author_id in seed.author_ids:
        for position in candidates.author_postings.get(author_id, ()):
            scores[position] = scores.get(position, 0.0) + AUTHOR_SCORE
    return {position: score for position, score in scores.items() if score >= MIN_SCORE}


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text.rfind(" ", 0, length + 1)
    return text[: cut if cut > 0 else length].rstrip(" ,;:") + "\N{HORIZONTAL ELLIPSIS}"


def _reason(seed: Seed, position: int, candidates: ForYouCandidates) -> str:
    """because you upvoted “…” · shared authors: … (or · shares: diffusion, video)."""
    paper = candidates.papers[position]
    because = f"because you {seed.action} \N{LEFT DOUBLE QUOTATION MARK}{_shorten(seed.title, 80)}"
    because += "\N{RIGHT DOUBLE QUOTATION MARK}"
    names = zip(candidates.author_ids[position], paper.author_names or [], strict=False)
    shared_authors = [name for author_id, name in names if author_id in seed.author_ids]
    if shared_authors:
        return f"{because} · shared authors: {', '.join(shared_authors[:2])}"
    vector = candidates.vectors[position]
    shared = sorted(
        (term for term in seed.terms if term in vector),
        key=lambda term: (-seed.terms[term] * vector[term], term),
    )
    words = list(dict.fromkeys(candidates.word(position, term) for term in shared))[:3]
    return f"{because} · shares: {', '.join(words)}" if words else because


def for_you(
    *,
    user: User,
    digest: Digest,
    exclude_ids: set[int],
    limit: int = 5,
    candidates: ForYouCandidates | None = None,
    activity: ForYouActivity | None = None,
) -> list[ForYouPaper]:
    """Papers for ``user`` like those they upvoted or commented on recently, best first, each
    with its reason; fewer than ``limit``, or none, when the matches are weak.

    Never the digest's top papers, papers the user upvoted or commented on, nor
    ``exclude_ids`` (what earlier digests showed them: ``papers_already_sent``). With the
    digest's ``candidates`` (``for_you_candidates``, built once for many users) this is one
    query, none with the user's ``activity`` (``for_you_activity``, loaded for many users).
    """
    candidates = candidates if candidates is not None else for_you_candidates(digest)
    if not candidates.papers:
        return []
    if activity is None:
        activity = for_you_activity(user_ids=[user.pk], candidates=candidates)[user.pk]
    excluded = activity.touched | set(exclude_ids) | set(digest.paper_ids)
    best: dict[int, tuple[float, Seed]] = {}
    for seed in activity.seeds:  # most recent first: a tie goes to the most recent seed
        for position, score in candidates.similarities(seed).items():
            if score > best.get(position, (0.0, seed))[0]:
                best[position] = (score, seed)
    ranked = sorted(
        (p for p in best if candidates.papers[p].pk not in excluded),
        key=lambda p: (-best[p][0], p),
    )
    return [
        ForYouPaper(paper=candidates.papers[p], reason=_reason(best[p][1], p, candidates))
        for p in ranked[:limit]
    ]
