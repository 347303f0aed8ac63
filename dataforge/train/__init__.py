"""Training: recipe config, memory plan, the SFT recipe, label-mask checks. Heavy imports stay inside functions."""
