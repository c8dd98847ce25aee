"""Whole Tang poems from the Tang char model: it draws a form marker, then writes the poem to its end.

    model = load_char_model("tang")
    model.poem()                                   # one poem: its lines with their punctuation
    model.poem(seed=first_chars, temperature=0.8, rng_seed=3)   # the poem starts with first_chars
    model.poem(acrostic=four_or_eight_chars)       # each line starts with the acrostic's character
    write_many(model, [poem_sampling(model, rng_seed=i) for i in range(200)])   # stepped together

The model was trained on lines "marker + MARK_END + poem + POEM_END" (demo.text.tang), so a poem
starts from the state after POEM_END, the end of the poem before.  The marker is drawn among the
four markers only (its first half FIVE or SEVEN, its second JUE or LU); MARK_END is written for
the model; then the seed's characters are forced and the model goes on until it writes POEM_END.
With an acrostic the marker's second half is forced (JUE for 4 characters, LU for 8), each line's
first character is forced and the model writes the rest of the line up to its punctuation
(LINE_MARKS); the poem ends after the last line's mark.  UNKNOWN and MARK_END are never drawn in
a poem (nor POEM_END inside an acrostic's line), and a poem stops at MAX_POEM characters (a line
of an acrostic at LINE_CAP), so a poor model cannot write for ever.

Every poem is a ``PoemSampling``: the ``feed``/``take`` protocol of ``demo.text.model.Sampling``
(draws with its ``pick``: the same temperature and generator), stepped by
``demo.text.sampler.BatchStepper``, whose rows do not depend on what is stepped beside them: a
poem is the same alone or in a batch, and the same rng_seed gives the same poem.
Pure: numpy and the model's stepping, no gradio.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.errors import UserError
from demo.text.sampler import BatchStepper
from demo.text.tang import FIVE, FORMS, JUE, LINE_MARKS, LU, MARK_END, NOT_IN_POEMS, POEM_END, SEVEN, UNKNOWN

__all__ = ["LINE_CAP", "MAX_POEM", "MAX_SEED", "Poem", "PoemSampling", "poem_sampling", "write", "write_many"]

MAX_POEM = 8 * 8 + 16   # characters of a poem at most: eight lines of seven and their marks (64), and slack
LINE_CAP = 10           # characters of an acrostic's line, without its mark, before it is cut
MAX_SEED = 60           # characters of a seed (the poem's first characters)
MAX_SLOTS = 64          # poems stepped together: BatchStepper's rows keep their bits from 2 to 64 rows


@dataclass(frozen=True)
class Poem:
    marker: str     # the form marker the model drew (a key of demo.text.tang.FORMS)
    text: str       # the poem: its lines with their punctuation, no marker, no POEM_END
    ended: bool     # the model ended it (POEM_END, or the acrostic's last mark), not the length cap


class PoemSampling:
    """One poem being written: ``feed`` is the next character index to feed the model (None when
    the poem is done); ``take(logits)`` takes the logits (V,) that came back.  ``body`` (indices)
    grows as the poem is written; ``poem`` is the result.  Built by ``poem_sampling``."""

    def __init__(self, vocab, sampling, seed_ids: list[int], acrostic_ids: list[int]):
        self.vocab, self.sampling = vocab, sampling
        self.seed, self.acrostic = list(seed_ids), list(acrostic_ids)
        self.marker, self.body, self.ended = "", [], False
        V, stoi = len(vocab), vocab.stoi
        self._end = stoi[POEM_END]
        self._marks = {stoi[c] for c in LINE_MARKS if c in stoi}
        self._firsts = self._mask(V, [stoi[FIVE], stoi[SEVEN]])
        self._seconds = self._mask(V, [stoi[JUE], stoi[LU]])
        # in a poem: every character but the format's MARK_END and UNKNOWN; in a line: nor POEM_END
        self._in_poem = ~self._mask(V, [stoi[c] for c in (MARK_END, UNKNOWN) if c in stoi])
        self._in_line = self._in_poem & (np.arange(V) != self._end)
        self._script = self._run()
        self.feed = next(self._script)

    @staticmethod
    def _mask(V: int, ids: list[int]) -> np.ndarray:
        m = np.zeros(V, dtype=bool)
        m[ids] = True
        return m

    def take(self, logits) -> None:
        try:
            self.feed = self._script.send(logits)
        except StopIteration:
            self.feed = None

    @property
    def poem(self) -> Poem:
        return Poem(self.marker, self.vocab.decode(self.body), self.ended)

    def _draw(self, logits, allowed: np.ndarray) -> int:
        return self.sampling.pick(logits, allowed)[0]

    def _run(self):
        """The poem's script, a generator: it yields each character index to feed and is sent the
        logits (V,) that follow it."""
        stoi = self.vocab.stoi
        z = yield self._end                          # the end of the poem before: a poem starts here
        first = self._draw(z, self._firsts)
        z = yield first
        if self.acrostic:
            second = stoi[JUE if len(self.acrostic) == 4 else LU]
        else:
            second = self._draw(z, self._seconds)
        z = yield second
        self.marker = self.vocab.decode([first, second])
        z = yield stoi[MARK_END]                     # the model never chooses it: the format's
        if self.acrostic:
            yield from self._lines(z)
        else:
            yield from self._free(z)

    def _free(self, z):
        """The seed's characters forced, then the model's until it writes POEM_END."""
        for i in self.seed:
            self.body.append(i)
            z = yield i
        while len(self.body) < MAX_POEM:
            i = self._draw(z, self._in_poem)
            if i == self._end:
                self.ended = True
                return
            self.body.append(i)
            z = yield i

    def _lines(self, z):
        """Each line: the acrostic's character forced, then the model's up to a line mark (or
        LINE_CAP characters); the poem ends with the last line's mark."""
        last = len(self.acrostic) - 1
        for k, i in enumerate(self.acrostic):
            n = 0
            while True:
                self.body.append(i)
                n += 1
                done = i in self._marks or n > LINE_CAP
                if done and k == last:
                    self.ended = i in self._marks
                    return
                z = yield i
                if done:
                    break
                i = self._draw(z, self._in_line)


def _bad_chars(text: str, vocab, also: str) -> str:
    """The characters of ``text`` the model cannot be made to write, shown: "'a', 'b'"; "" if none."""
    bad = sorted({c for c in text if c not in vocab or c in also})
    return ", ".join(repr(c) for c in bad)


def check_seed(seed, vocab) -> str:
    """The poem's first characters (None or "": none), surrounding spaces dropped; UserError when
    the model cannot write them."""
    if seed is not None and not isinstance(seed, str):
        raise UserError("tang.error.seed_type", kind=type(seed).__name__)
    seed = (seed or "").strip()
    if len(seed) > MAX_SEED:
        raise UserError("tang.error.seed_long", n=len(seed), max=MAX_SEED)
    bad = _bad_chars(seed, vocab, NOT_IN_POEMS)
    if bad:
        raise UserError("tang.error.seed_chars", chars=bad)
    return seed


def check_acrostic(acrostic, vocab) -> str:
    """4 or 8 characters (spaces dropped), each one a line's first (None or "": no acrostic);
    UserError for another length, punctuation or a character outside the vocabulary."""
    if acrostic is not None and not isinstance(acrostic, str):
        raise UserError("tang.error.acrostic_type", kind=type(acrostic).__name__)
    acrostic = "".join((acrostic or "").split())
    if not acrostic:
        return ""
    if len(acrostic) not in (4, 8):
        raise UserError("tang.error.acrostic_length", n=len(acrostic))
    bad = _bad_chars(acrostic, vocab, NOT_IN_POEMS + LINE_MARKS)
    if bad:
        raise UserError("tang.error.acrostic_chars", chars=bad)
    return acrostic


def poem_sampling(model, seed="", temperature=0.8, rng_seed=0, acrostic=None, clamp=None,
                  ablate=None) -> PoemSampling:
    """One poem to write with ``model`` (a CharModel), its arguments checked (UserError):
    temperature and rng_seed as ``CharModel.generate`` takes them (rng_seed None: fresh
    randomness); clamp/ablate edit the top layer at every step."""
    vocab = model.vocab
    if any(c not in vocab for c in "".join(FORMS) + MARK_END + POEM_END):
        raise UserError("tang.error.not_tang", name=model.name)
    seed, acrostic = check_seed(seed, vocab), check_acrostic(acrostic, vocab)
    if seed and acrostic:
        raise UserError("tang.error.seed_and_acrostic")
    sampling = model.sampling(POEM_END, 1, temperature, None, rng_seed, 0, clamp, ablate)
    return PoemSampling(vocab, sampling, vocab.encode(seed), vocab.encode(acrostic))


def write_many(model, jobs: list[PoemSampling], slots: int = MAX_SLOTS) -> list[Poem]:
    """Write every poem of ``jobs``, up to ``slots`` (at most 64) stepped together; a finished
    poem's slot goes to the next waiting one.  Each poem is the one it would be alone."""
    if not jobs:
        return []
    stepper = BatchStepper(model, max(1, min(int(slots), MAX_SLOTS, len(jobs))))
    waiting, active = list(reversed(jobs)), {}
    while waiting or active:
        while waiting and stepper.free:
            job = waiting.pop()
            active[stepper.open(job.sampling.edit)] = job
        rows = list(stepper.rows)
        logits = stepper.step(rows, [active[b].feed for b in rows])   # (len(rows), V)
        for b, row in zip(rows, logits):
            active[b].take(row)
            if active[b].feed is None:
                stepper.close(b)
                del active[b]
    return [job.poem for job in jobs]


def write(model, seed="", temperature=0.8, rng_seed=0, acrostic=None, clamp=None, ablate=None) -> Poem:
    """One poem (see the module's docs); ``CharModel.poem`` returns its text."""
    return write_many(model, [poem_sampling(model, seed, temperature, rng_seed, acrostic, clamp, ablate)])[0]
