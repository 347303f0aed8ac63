from dataforge.text.asciified import distinct_letter_count, looks_asciified, marker_count


def test_a_repeated_word_is_one_piece_of_evidence():
    assert distinct_letter_count(" ".join(["merhaba"] * 18)) == 7
    assert distinct_letter_count("Merhaba MERHABA merhaba dünya") == 7 + 5
    assert not looks_asciified(" ".join(["merhaba"] * 18), turkish_like=True)


def test_markers_count_once_and_no_english_word_is_a_marker():
    assert marker_count("cok cok cok") == 1
    assert marker_count("cok guzel, tesekkur ederim") == 3
    assert marker_count("The gun was old. Every gun in the museum was cleaned.") == 0
    assert looks_asciified("cok guzel, tesekkur ederim arkadasim", turkish_like=False)
    assert not looks_asciified("The gun was old. Every gun in the museum was cleaned.", turkish_like=False)
