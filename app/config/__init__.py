"""Configuration: where the data lives, declared settings in TOML, and secrets in the keyring."""
