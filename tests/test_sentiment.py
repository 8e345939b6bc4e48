"""The review-sentence sentiment model: the adapter ships with the package, reads complaints that
carry no lexicon word, and never trained on the reviews that measure it."""

from __future__ import annotations

import json

import pytest

from assistant.reviews import sentence_polarity, side, summarize
from assistant.sentiment import ADAPTER, get_sentiment
from assistant.sentiment_train import MEASURED, held_out
from records import Review
from retrieval.embedder import get_embedder

# "Setup took two minutes and it has run flawlessly since." scores -0.94 ("took … minutes" mostly
# opens complaints in the training reviews): a known miss, listed in bench/results/NOTES.md
PRAISE = ["The zipper glides smoothly and the pockets hold everything.", "Soft fabric, true to size, and it washes well."]
COMPLAINTS = [
    "The lid leaks whenever I put it in my bag.",
    "The ear cushions started peeling after a month.",
    "Customer service never answered my emails.",
]


@pytest.fixture(scope="module")
def sentiment():
    model = get_sentiment()
    assert model is not None, f"no sentiment adapter in {ADAPTER}: run `shopassist train-sentiment`"
    return model


def test_the_adapter_ships_in_the_package():
    assert (ADAPTER / "adapter_config.json").exists() and (ADAPTER / "head.safetensors").exists()
    assert sum(f.stat().st_size for f in ADAPTER.iterdir()) < 5_000_000  # small enough to live in the repo


def test_praise_scores_above_complaints_without_a_lexicon_word(sentiment):
    praise, complaints = sentiment.score(PRAISE), sentiment.score(COMPLAINTS)
    assert praise.min() > 0.3 and complaints.max() < -0.3, (praise, complaints)


def test_scores_are_cached_by_text(sentiment):
    first = sentiment.score(COMPLAINTS)
    assert all(t in sentiment._cache for t in COMPLAINTS)
    assert (sentiment.score(list(reversed(COMPLAINTS))) == first[::-1]).all()


def test_a_complaint_in_a_four_star_review_is_a_complaint(sentiment):
    encode = get_embedder().encode
    texts = ["The ear cushions started peeling after a month."]
    assert side(float(sentence_polarity(texts, encode(texts), [4.0], encode)[0])) == "negative"


def test_summaries_put_a_recurring_complaint_under_dislikes(sentiment):
    reviews = [
        Review(id=f"r{i}", product_id="p1", rating=4, text="Great sound and the battery lasts all day." if i % 2 else COMPLAINTS[0])
        for i in range(6)
    ]
    summary = summarize("p1", reviews, get_embedder().encode)
    assert [p.text for p in summary.dislikes] == ["The lid leaks whenever I put it in my bag."]
    assert [p.text for p in summary.likes] == ["Great sound and the battery lasts all day."]


def test_training_leaves_out_every_review_the_polarity_sentences_come_from():
    sources = {
        json.loads(line)["source"].rsplit(":", 1)[0] for path in MEASURED for line in path.read_text().splitlines() if "source" in line
    }
    assert sources and {f"{file}:{n}" for file, n in held_out()} == sources


def test_the_model_reads_only_the_sentences_it_is_given_the_time_for(sentiment):
    encode = get_embedder().encode
    texts = ["The hinge squeaks every time I open it.", "The strap frayed within a fortnight."]
    sentence_polarity(texts, encode(texts), [4.0, 4.0], encode, model_reads=0)  # a card reason: no model
    assert not any(t in sentiment._cache for t in texts)
    sentence_polarity(texts, encode(texts), [4.0, 4.0], encode, model_reads=1)  # a summary's newest sentences first
    assert texts[0] in sentiment._cache and texts[1] not in sentiment._cache
