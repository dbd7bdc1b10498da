"""How papers are ranked: the constants that pages, the API and the vote service share.

Trending: a paper's heat is the sum of its upvotes, each decayed by half every
TRENDING_HALF_LIFE:

    heat(now) = sum over votes v of 2 ** (-(now - t_v) / H)

so a vote from today counts twice one from yesterday. heat(now) changes every second, but

    log2(heat(now)) = log2(sum over v of 2 ** ((t_v - T0) / H)) - (now - T0) / H

and the last term is the same for every paper: ranking by the time-free first term ranks by
heat at any instant. That term is what ``Paper.trending_score`` stores (0 without votes). It
only changes when a vote is added or removed, so scores computed at different moments stay
comparable, a paper is refreshed alone right after each vote (apps.votes.services), and the
trending page is one indexed ORDER BY. The sum is taken as max + log2(sum 2 ** (x - max)):
2 ** x itself would overflow a float (x is about 13,000 half-days since T0).
"""

import datetime as dt

TRENDING_HALF_LIFE = dt.timedelta(hours=24)
TRENDING_EPOCH = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
