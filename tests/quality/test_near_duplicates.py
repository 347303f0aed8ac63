import numpy as np

from dataforge.quality.near_duplicates import cluster, similarity

A = ("Kurutulmuş kahve telvesi az miktarda toprağa karıştırıldığında toprağın yapısını iyileştirir ve kompost "
     "yığınına eklendiğinde iyi bir azot kaynağıdır. Ancak kalın bir tabaka hâlinde serilirse kuruyup sertleşir.")
B = ("Menemen için önce tavada tereyağı ısıtılır, doğranmış biberler kavrulur, ardından domatesler eklenir ve "
     "suyunu çekince yumurtalar kırılır. Tuz ve pul biber en sonda eklenir, sıcak servis edilir.")


def test_similarity_uses_turkish_aware_normalisation():
    assert similarity(A, A) == 1.0
    asciified = A.translate(str.maketrans("çğıöşüÇĞİÖŞÜ", "cgiosuCGIOSU"))
    assert similarity(A, asciified) == 1.0  # folded to ASCII before shingling
    assert similarity(A, A.upper().replace("I", "İ")) == 1.0  # casing does not matter
    assert similarity(A, B) < 0.05


def test_one_edited_word_is_near_one_new_text_is_not():
    edited = A.replace("iyi bir", "harika bir")
    assert 0.7 < similarity(A, edited) < 1.0
    cl = cluster([A, B, edited, "Bugün hava güzel.", ""])
    assert cl.cluster.tolist() == [0, 1, 0, 3, 4]
    assert cl.size.tolist() == [2, 1, 2, 1, 1]


def test_clustering_is_deterministic_and_transitive():
    texts = [A, A + " Ek cümle.", A + " Ek cümle. Bir tane daha.", B] * 2
    c1, c2 = cluster(texts), cluster(texts)
    assert np.array_equal(c1.cluster, c2.cluster)
    assert set(c1.cluster.tolist()) == {0, 3}
