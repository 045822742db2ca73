"""fn_slack's benchmarks: big workspaces, long channels and rate limits, measured against the original approach."""
