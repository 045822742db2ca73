"""The resilient-circuits hooks: config, customize and selftest."""
