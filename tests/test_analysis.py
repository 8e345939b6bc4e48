"""Lexical analysis: sizes and units survive into BM25 tokens the same way for products and queries."""

from retrieval.analysis import char_grams, normalize, sparse_document, sparse_query


def test_sizes_get_one_spelling():
    assert normalize("1/2 in. x 10 ft. Copper Pipe").split() == ["1over2", "inch", "x", "10", "foot", "Copper", "Pipe"]
    assert normalize('3/4" PVC elbow').split() == ["3over4", "inch", "PVC", "elbow"]
    assert normalize("2x4x8 stud").split() == ["2", "x", "4", "x", "8", "stud"]
    assert normalize("5 gal. bucket, 60W bulb, 12v drill").split() == [
        "5",
        "gallon",
        "bucket,",
        "60",
        "watt",
        "bulb,",
        "12",
        "volt",
        "drill",
    ]


def test_ordinary_words_are_left_alone():
    # "in" is a size only when glued to a number: a price followed by a colour is not inches
    assert normalize("headphones under 100 in black") == "headphones under 100 in black"
    assert normalize("30-in. range").split() == ["30", "inch", "range"]


def test_query_and_product_spellings_of_a_size_meet_in_bm25():
    product = set(sparse_document("SharkBite 1/2 in. x 10 ft. PEX pipe").indices)
    assert set(sparse_query("1/2 inch pex").indices) <= product
    assert set(sparse_query('1/2" pex').indices) <= product
    assert not set(sparse_query("3/4 inch pex").indices) <= product  # another size is another token


def test_character_grams_pad_each_word():
    assert char_grams("Fire place") == "_fi fir ire re_ _pl pla lac ace ce_"
    assert char_grams("a") == "_a_"
