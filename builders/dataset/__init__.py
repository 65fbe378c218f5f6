"""The dataset on disk: Parquet shards per config and split, a manifest, the card, SQL over it."""
