"""ckb graph layer: the model, the store port and its adapters."""
