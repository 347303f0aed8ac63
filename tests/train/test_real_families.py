

def test_show_labels_says_the_system_text_was_folded(family_dir):
    from dataforge.train.labels import render_labels

    shown = render_labels(chat_format(family_dir, "gemma2"), record(True), 1024)
    assert shown.startswith("chat.jsonl:3 (the template has no system role: system text folded into the first "
                            "user turn, chat.system=fold):\n<bos><start_of_turn>user\nKısa ve doğru yanıt ver.\n\n")
    assert "⟦Yaklaşık 15,7 milyon; Türkiye'nin en kalabalık şehri.<end_of_turn>⟧\n" in shown


@SLOW
def test_show_labels_says_the_default_system_prompt_is_added(family_dir):
    from dataforge.train.labels import render_labels

    shown = render_labels(chat_format(family_dir, "qwen2.5"), record(False), 1024)
    assert shown.startswith("chat.jsonl:3 (no system message: the template adds its default 'You are Qwen, "
                            "created by Alibaba Cloud. You are a helpful assistant.', chat.default_system=keep):\n")
    assert "<|im_start|>assistant\n⟦Yaklaşık 15,7 milyon; Türkiye'nin en kalabalık şehri.<|im_end|>⟧\n" in shown
