"""Both vector-store backends against the real engines: Qdrant Edge in-process, and
qdrant-client's local mode standing in for a Qdrant server. Same tests, same expectations."""

from __future__ import annotations

import numpy as np
import pytest

from records import Constraints, Product
from retrieval.analysis import LEXICAL_VERSION, grams_query, sparse_query
from retrieval.backends import open_vector_store
from retrieval.embedder import get_embedder
from retrieval.hybrid import FIRST_PAGE, expansion_words, search
from retrieval.indexer import ModelMismatch, sync
from retrieval.vectorstore import GRAMS, Hit

PRODUCTS = [
    Product(
        id="k1",
        title="Logitech quiet wireless keyboard",
        brand="Logitech",
        price=99.0,
        category="Electronics > Keyboards",
        attributes={"color": "white"},
        stock=5,
    ),
    Product(
        id="k2",
        title="Razer loud clicky gaming keyboard",
        brand="Razer",
        price=169.0,
        category="Electronics > Keyboards",
        attributes={"color": "black"},
        stock=5,
    ),
    Product(
        id="k3",
        title="Keychron quiet low profile keyboard",
        brand="Keychron",
        price=84.0,
        category="Electronics > Keyboards",
        attributes={"color": "white"},
        stock=0,
    ),
    Product(
        id="m1",
        title="Logitech silent mouse",
        brand="Logitech",
        price=29.0,
        category="Electronics > Mice",
        attributes={"color": "black"},
        stock=5,
    ),
    Product(
        id="c1",
        title="French press coffee maker",
        brand="Bodum",
        price=39.0,
        category="Home > Kitchen > Coffee",
        attributes={"color": "black"},
        stock=5,
    ),
]
BY_ID = {p.id: p for p in PRODUCTS}


@pytest.fixture(params=["edge", "remote"])
def vs(request, tmp_path):
    store = open_vector_store(path=str(tmp_path / "q")) if request.param == "edge" else open_vector_store(url=":memory:")
    hashes = {p.id: f"h-{p.id}" for p in PRODUCTS}
    sync(store, get_embedder(), hashes, lambda ids: [BY_ID[i] for i in ids], progress=False)
    yield store
    store.close()


def ids(hits):
    return [h.product_id for h in hits]


def query(text):
    return get_embedder().encode_one(text)


def test_dense_sparse_and_fused_search_find_the_obvious_match(vs):
    assert ids(search(vs, dense=query("coffee"), limit=1)) == ["c1"]
    assert ids(search(vs, sparse=sparse_query("french press"), limit=1)) == ["c1"]
    assert ids(search(vs, dense=query("french press coffee"), sparse=sparse_query("french press coffee"), limit=1)) == ["c1"]


def test_scores_of_given_products_match_what_a_search_scores_them(vs):
    """A hybrid scores every candidate in every channel; `scores` must give what the channel's own
    search gives (cosine, BM25 with the engine's IDF), and 0 for a product sharing no word."""
    everyone = [p.id for p in PRODUCTS]
    v = query("french press coffee")
    searched = {h.product_id: h.score for h in vs.nearest(dense=v, limit=len(everyone), exact=True)}
    got = vs.scores(everyone, dense=v)
    assert got.keys() == searched.keys() and all(abs(got[i] - searched[i]) < 1e-4 for i in got)
    words = sparse_query("french press")
    searched = {h.product_id: h.score for h in vs.nearest(sparse=words, limit=len(everyone))}
    got = vs.scores(everyone, sparse=words)
    assert set(got) == set(everyone) and searched and all(abs(got[i] - searched[i]) < 1e-4 for i in searched)
    assert all(got[i] == 0.0 for i in everyone if i not in searched)
    assert vs.scores([], dense=v) == {}


def test_trigram_channel_finds_words_written_apart():
    store = open_vector_store(url=":memory:")
    extra = [*PRODUCTS, Product(id="d1", title="Stainless steel dishwasher", category="Home > Kitchen")]
    sync(store, get_embedder(), {p.id: "h" for p in extra}, lambda pids: [p for p in extra if p.id in pids], progress=False)
    assert ids(search(store, sparse=sparse_query("dish washer"), limit=3)) == []  # no such words
    assert ids(store.nearest(sparse=grams_query("dish washer"), using=GRAMS, limit=1)) == ["d1"]
    fused = search(store, dense=query("dish washer"), sparse=sparse_query("dish washer steel"), grams=grams_query("dish washer"), limit=1)
    assert ids(fused) == ["d1"]
    store.close()


def test_a_new_lexical_analysis_rebuilds_sparse_vectors_without_re_embedding(vs):
    before = vs.vectors(["k1", "c1"])
    vs.set_meta({"lexical": LEXICAL_VERSION - 1})
    loaded = []

    def load(pids):
        loaded.extend(pids)
        return [BY_ID[i] for i in pids]

    report = sync(vs, get_embedder(), {p.id: f"h-{p.id}" for p in PRODUCTS}, load, progress=False)
    assert report.embedded == 0 and sorted(loaded) == sorted(BY_ID)  # read once for their text, not embedded
    assert vs.get_meta()["lexical"] == LEXICAL_VERSION and vs.get_meta()["model"] == get_embedder().name
    after = vs.vectors(["k1", "c1"])
    # the same vectors, written back: qdrant-client 1.20's local mode normalises cosine vectors
    # again on upsert, which moves the last bit of a float (1.5e-8 seen)
    assert all(np.allclose(before[k], after[k], rtol=0, atol=1e-6) for k in before)
    assert ids(search(vs, sparse=sparse_query("french press"), limit=1)) == ["c1"] and vs.count() == 5


def test_filters_run_inside_the_engine(vs):
    # the best keyboard matches are excluded by the filters, yet `limit` results still come back:
    # filtering happens during the search, not on a short list afterwards
    hits = search(vs, dense=query("quiet keyboard"), constraints=Constraints(price_max=100, in_stock=True), limit=2)
    assert set(ids(hits)) <= {"k1", "m1", "c1"} and len(hits) == 2 and ids(hits)[0] == "k1"
    assert ids(
        search(
            vs,
            dense=query("keyboard"),
            constraints=Constraints(exclude_brands=["Logitech"], in_stock=False, categories=["Electronics > Keyboards"]),
            limit=5,
        )
    ) in (["k3", "k2"], ["k2", "k3"])
    assert set(ids(search(vs, dense=query("anything"), constraints=Constraints(colors=["white"], in_stock=False), limit=5))) == {"k1", "k3"}
    assert set(ids(search(vs, dense=query("anything"), constraints=Constraints(categories=["electronics"]), limit=5))) == {"k1", "k2", "m1"}
    assert set(ids(search(vs, dense=query("anything"), constraints=Constraints(price_min=50, price_max=100, in_stock=False), limit=5))) == {
        "k1",
        "k3",
    }
    assert ids(search(vs, dense=query("keyboard"), constraints=Constraints(brands=["razer"]), limit=5)) == ["k2"]
    assert ids(
        search(vs, dense=query("keyboard"), constraints=Constraints(exclude_ids=["k1", "k2"]), limit=5, only_ids=["k1", "k2", "m1"])
    ) == ["m1"]


def test_payload_updates_delete_and_vectors(vs):
    vs.set_payload("c1", {"popularity": 9.0})
    assert ids(vs.top_by("popularity", limit=1)) == ["c1"]
    v = vs.vectors(["k1", "nope"])
    assert list(v) == ["k1"] and v["k1"].shape == (384,) and abs(np.linalg.norm(v["k1"]) - 1) < 1e-3
    vs.delete(["c1"])
    assert "c1" not in vs.indexed_hashes() and vs.count() == 4


def test_incremental_sync_embeds_only_what_changed(vs):
    hashes = {p.id: f"h-{p.id}" for p in PRODUCTS}
    loaded = []

    def load(pids):
        loaded.extend(pids)
        return [BY_ID[i] for i in pids]

    assert sync(vs, get_embedder(), hashes, load, progress=False).embedded == 0
    hashes["k1"] = "changed"
    del hashes["c1"]
    report = sync(vs, get_embedder(), hashes, load, progress=False)
    assert (report.embedded, report.deleted, loaded) == (1, 1, ["k1"])


def test_index_refuses_vectors_from_another_model(vs):
    vs.set_meta({"model": "some-other-model"})
    with pytest.raises(ModelMismatch, match="rebuild"):
        sync(vs, get_embedder(), {}, lambda ids: [], progress=False)


def test_snapshot_and_restore(vs, tmp_path):
    archive = vs.snapshot(tmp_path / "snap.tar.gz")
    vs.delete(["k1", "k2"])
    vs.set_meta({"model": "changed"})
    assert vs.count() == 3
    vs.restore(archive)
    assert vs.count() == 5 and vs.get_meta()["model"] == get_embedder().name
    assert ids(search(vs, dense=query("coffee"), limit=1)) == ["c1"]
    assert ids(search(vs, dense=query("keyboard"), sparse=sparse_query("logitech keyboard"), grams=grams_query("logitech"), limit=1)) == [
        "k1"
    ]
    assert ids(search(vs, dense=query("keyboard"), constraints=Constraints(brands=["razer"]), limit=5)) == [
        "k2"
    ]  # payload indexes are back


def test_rebuild_drops_the_collection(vs):
    vs.drop()
    assert vs.count() == 0 and vs.get_meta() == {}
    sync(vs, get_embedder(), {p.id: "h" for p in PRODUCTS}, lambda pids: [BY_ID[i] for i in pids], progress=False)
    assert vs.count() == 5


def test_expansion_words_are_the_best_titles_words_the_query_lacks():
    top = [
        Hit("e1", 1.0, {"title": "Gaggia espresso machine with milk frother"}),
        Hit("e2", 0.9, {"title": "Compact espresso machine, milk frother included"}),
    ]
    asked = sparse_query("espresso machine")
    words = expansion_words(top, asked)
    assert set(sparse_query("milk frother").indices) <= set(words.indices)
    assert not set(asked.indices) & set(words.indices)
    assert (
        max(words.values) == 1.0 and dict(zip(words.indices, words.values))[sparse_query("gaggia").indices[0]] < 1.0
    )  # one title's word counts less
    assert expansion_words([Hit("x", 1.0, {"title": "espresso machine"})], asked) is None  # nothing the query lacks


def test_feedback_words_reorder_only_what_follows_the_first_page():
    frothing = [
        Product(id=f"e{i}", title=f"{brand} espresso machine, milk frother", category="Home > Kitchen > Coffee")
        for i, brand in enumerate(["Gaggia", "Breville", "DeLonghi", "Rancilio", "Lelit", "Sage", "Krups", "Smeg", "Solis", "Melitta"])
    ]
    plain_ones = [
        Product(id=f"p{i}", title=t, category="Home > Kitchen > Coffee")
        for i, t in enumerate(
            ["Bialetti stovetop moka pot", "Dolce Gusto pod coffee maker", "Philips drip coffee maker", "Siemens bean to cup coffee centre"]
        )
    ]
    machines = frothing + plain_ones
    others = [Product(id="f1", title="Stainless steel milk frother jug", category="Home > Kitchen > Coffee")] + [
        Product(id=f"o{i}", title=t, category="Home > Kitchen")
        for i, t in enumerate(["Electric tea kettle", "Two slice toaster", "Chef knife", "Cast iron skillet", "Salad spinner"])
    ]
    catalog = machines + others
    store = open_vector_store(url=":memory:")
    sync(store, get_embedder(), {p.id: "h" for p in catalog}, lambda pids: [p for p in catalog if p.id in pids], progress=False)
    args = dict(
        dense=query("espresso machine"), sparse=sparse_query("espresso machine"), grams=grams_query("espresso machine"), limit=len(catalog)
    )
    plain, widened = ids(search(store, **args, feedback_words=False)), ids(search(store, **args))
    store.close()
    assert widened[:FIRST_PAGE] == plain[:FIRST_PAGE]
    assert plain.index("f1") >= FIRST_PAGE  # it shares no word with the query …
    assert widened.index("f1") < plain.index("f1")  # … but the best machines' "milk frother"


def test_warming_an_index_reads_it_and_changes_nothing(vs, tmp_path):
    before = ids(search(vs, dense=query("coffee"), limit=3))
    vs.warm()
    assert ids(search(vs, dense=query("coffee"), limit=3)) == before
    open_vector_store(path=str(tmp_path / "empty")).warm()  # nothing built yet: nothing to read
