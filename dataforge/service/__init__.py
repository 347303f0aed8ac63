"""`dataforge serve`: the SFT data service. A thin layer over the library's stages (validate, check, clean, split,
augment, train, evaluate, export): the library never imports it. See docs/service.md."""
