"""Turkish augmentation: `dataforge augment --method synonym|backtranslate|paraphrase`.

Each method is one augmenter class with `augment_texts(texts, seeds) -> texts`; the post-filters are a plain list
(filters.py); reading, counting and writing live in run.py. Heavy libraries load only for the method in use.
"""

from __future__ import annotations

from dataforge.augment.config import AugmentConfig


def build_augmenter(cfg: AugmentConfig):
    """The augmenter for `cfg.method`, with its model, lexicon or service client loaded and checked."""
    if cfg.method == "synonym":
        from dataforge.augment.lexicon import load
        from dataforge.augment.morphology import get_morphology
        from dataforge.augment.synonym import SynonymAugmenter

        return SynonymAugmenter(load(cfg.lexicon), get_morphology(), ratio=cfg.ratio)
    if cfg.method == "backtranslate":
        from dataforge.augment.backtranslate import build_backtranslator

        return build_backtranslator(cfg)
    from dataforge.augment.paraphrase import build_paraphraser

    return build_paraphraser(cfg)


def build_filters(cfg: AugmentConfig) -> list:
    from dataforge.augment.filters import default_filters

    return default_filters(cfg.min_length_ratio, cfg.max_length_ratio, cfg.max_similarity)
